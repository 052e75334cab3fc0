import { describe, expect, it } from 'vitest';
import type { Operation } from './history.js';
import { withoutUnseenPendingPuts } from './kv-history.js';
import type { KvInput } from './kv-model.js';
import { kvModel } from './kv-model.js';
import { checkLinearizable } from './linearizability.js';

type Op = Operation<KvInput<string>, unknown>;
const put = (client: string, call: number, ret: number | undefined, value: string): Op => ({
  client,
  call,
  ...(ret === undefined ? {} : { return: ret }),
  input: { op: 'put', key: 'k', value },
});
const get = (client: string, call: number, ret: number, value: string | null): Op => ({
  client,
  call,
  return: ret,
  input: { op: 'get', key: 'k' },
  output: value,
});

describe('withoutUnseenPendingPuts', () => {
  it('drops only pending puts that no read observed', () => {
    const unseen = put('a', 0, undefined, 'a#1');
    const seen = put('b', 0, undefined, 'b#1');
    const done = put('c', 1, 2, 'c#1');
    const read = get('d', 3, 4, 'b#1');
    expect(withoutUnseenPendingPuts([unseen, seen, done, read])).toEqual([seen, done, read]);
  });

  it('keeps the verdict: a stale read is still a violation, a seen pending put still explains a read', () => {
    const pending = Array.from({ length: 300 }, (_, i) => put(`p${i}`, i, undefined, `p#${i}`));
    const stale = [put('x', 0, 1, 'x#1'), put('w', 2, 3, 'w#1'), get('r', 4, 5, 'x#1'), ...pending];
    const check = (h: Op[]) => checkLinearizable(kvModel<string>(), h, { report: false }).result;
    expect(check(withoutUnseenPendingPuts(stale))).toBe('violation');
    const explained = [...pending, get('r', 500, 501, 'p#7')];
    expect(check(withoutUnseenPendingPuts(explained))).toBe('ok');
  });
});
