import { describe, expect, it } from 'vitest';
import { type KvOp, verify } from './verify.js';

const put = (client: string, call: number, ret: number | undefined, value: string): KvOp => ({
  client,
  call,
  ...(ret === undefined ? {} : { return: ret }),
  input: { op: 'put', key: 'k', value },
});
const get = (client: string, call: number, ret: number, value: string | null): KvOp => ({
  client,
  call,
  return: ret,
  input: { op: 'get', key: 'k' },
  output: value,
});

describe('the demo verdict', () => {
  it('stays fast with hundreds of unanswered puts and still finds a lost write', () => {
    const history: KvOp[] = [];
    for (let i = 0; i < 300; i++) history.push(put(`p${i}`, i, undefined, `p#${i}`));
    history.push(put('w', 400, 401, 'w#1'));
    history.push(get('r', 402, 403, 'w#1'));
    const finals = new Map<string, unknown>([['k', 'w#1']]);
    expect(verify(history, finals).linearizable).toBe('ok');

    // A read after the acknowledged put that returns the older value: not linearizable.
    const stale = [
      put('x', 0, 1, 'x#1'),
      put('w', 2, 3, 'w#1'),
      get('r', 4, 5, 'x#1'),
      ...history.slice(0, 300),
    ];
    const verdict = verify(stale, new Map([['k', 'x#1']]));
    expect(verdict.linearizable).toBe('violation');
    expect(verdict.lost).toBe(1);
  });
});
