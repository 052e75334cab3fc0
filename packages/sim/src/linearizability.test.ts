import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Operation } from './history.js';
import { type KvInput, kvModel } from './kv-model.js';
import { checkLinearizable } from './linearizability.js';
import type { Model } from './model.js';
import { Prng } from './prng.js';
import { type RegisterInput, registerModel } from './register-model.js';

const dir = mkdtempSync(join(tmpdir(), 'sim-lin-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type RegOp = Operation<RegisterInput<number>, unknown>;
const w = (client: number, call: number, ret: number | undefined, value: number): RegOp => ({
  client,
  call,
  return: ret,
  input: { op: 'write', value },
});
const r = (client: number, call: number, ret: number | undefined, output: number): RegOp => ({
  client,
  call,
  return: ret,
  input: { op: 'read' },
  output,
});
const reg = registerModel(0);
const check = (h: RegOp[]) => checkLinearizable(reg, h, { report: dir });

describe('checkLinearizable: hand-written register histories', () => {
  it('accepts the empty history and a sequential one', () => {
    expect(check([]).result).toBe('ok');
    expect(check([w(1, 0, 1, 5), r(2, 2, 3, 5), w(1, 4, 5, 6), r(2, 6, 7, 6)]).result).toBe('ok');
  });

  it('accepts concurrent reads seeing either value', () => {
    // write(1) overlaps both reads: one sees old, one new, in a consistent order.
    const h = [w(1, 0, 10, 1), r(2, 1, 3, 0), r(3, 4, 6, 1)];
    expect(check(h).result).toBe('ok');
  });

  it('rejects a stale read (read after a completed write sees the old value)', () => {
    const h = [w(1, 0, 1, 1), r(2, 2, 3, 0)];
    const res = check(h);
    expect(res.result).toBe('violation');
    if (res.result !== 'violation') return;
    expect(res.failing).toBe(1);
    expect(res.prefix.map((p) => p.index)).toEqual([0]);
    expect(res.prefix[0]?.stateAfter).toBe('1');
    expect(res.message).toMatch(/not linearizable/);
  });

  it('rejects reads that go back in time (new then old across clients)', () => {
    const h = [w(1, 0, 10, 1), r(2, 1, 2, 1), r(3, 3, 4, 0)];
    expect(check(h).result).toBe('violation');
  });

  it('rejects a lost write (acknowledged write never visible, later write overwritten)', () => {
    // Two sequential writes, then reads show the first value: the second write was lost.
    const h = [w(1, 0, 1, 1), w(2, 2, 3, 2), r(3, 4, 5, 1)];
    expect(check(h).result).toBe('violation');
  });

  it('rejects a read-your-write violation', () => {
    const h = [w(1, 0, 1, 7), r(1, 2, 3, 0)];
    expect(check(h).result).toBe('violation');
  });

  it('rejects a read of a value never written', () => {
    expect(check([r(1, 0, 1, 99)]).result).toBe('violation');
  });

  it('handles pending operations: may take effect, at any later time, or never', () => {
    // A pending write explains a later read of its value...
    expect(check([w(1, 0, undefined, 3), r(2, 5, 6, 3)]).result).toBe('ok');
    // ...or it never happened.
    expect(check([w(1, 0, undefined, 3), r(2, 5, 6, 0)]).result).toBe('ok');
    // But not before it was called.
    expect(check([r(2, 0, 1, 3), w(1, 5, undefined, 3)]).result).toBe('violation');
    // And once seen, it cannot un-happen.
    expect(check([w(1, 0, undefined, 3), r(2, 5, 6, 3), r(2, 7, 8, 0)]).result).toBe('violation');
    // Outputs of pending ops are ignored; null and Infinity also mean pending.
    const p: RegOp = { client: 1, call: 0, return: null, input: { op: 'read' }, output: 42 };
    const q: RegOp = { ...w(1, 0, 1, 1), return: Number.POSITIVE_INFINITY };
    expect(check([p, q]).result).toBe('ok');
  });

  it('treats operations touching at one instant as concurrent', () => {
    expect(check([w(1, 0, 5, 1), r(2, 5, 6, 0)]).result).toBe('ok');
  });

  it('checks cas outcomes', () => {
    const cas = (c: number, call: number, ret: number, exp: number, v: number, out: boolean) =>
      ({
        client: c,
        call,
        return: ret,
        input: { op: 'cas', expected: exp, value: v },
        output: out,
      }) as RegOp;
    expect(check([cas(1, 0, 1, 0, 5, true), r(2, 2, 3, 5)]).result).toBe('ok');
    expect(check([cas(1, 0, 1, 0, 5, false)]).result).toBe('violation');
    // Two concurrent cas from the same expected value cannot both win.
    expect(check([cas(1, 0, 5, 0, 1, true), cas(2, 0, 5, 0, 2, true)]).result).toBe('violation');
    expect(check([cas(1, 0, 5, 0, 1, true), cas(2, 0, 5, 0, 2, false)]).result).toBe('ok');
  });

  it('rejects malformed histories and options with clear errors', () => {
    expect(() => check([{ client: 1, call: 5, return: 1, input: { op: 'read' } }])).toThrow(
      /before call/,
    );
    expect(() => check([{ client: 1, call: Number.NaN, input: { op: 'read' } } as RegOp])).toThrow(
      /call must be/,
    );
    expect(() => check([{ call: 1, input: { op: 'read' } } as unknown as RegOp])).toThrow(/client/);
    expect(() => checkLinearizable(reg, [], { timeoutMs: 0 })).toThrow(RangeError);
    expect(() =>
      check([
        {
          client: 1,
          call: 0,
          return: 1,
          input: { op: 'nope' } as unknown as RegisterInput<number>,
        },
      ]),
    ).toThrow(/unknown op/);
  });
});

describe('checkLinearizable: key-value model and partitioning', () => {
  type KvOp = Operation<KvInput<string>, unknown>;
  const kv = kvModel<string>();
  const op = (
    client: number,
    call: number,
    ret: number,
    input: KvInput<string>,
    output?: unknown,
  ): KvOp => ({
    client,
    call,
    return: ret,
    input,
    output,
  });

  it('checks each key independently and reports the failing key', () => {
    const h: KvOp[] = [
      op(1, 0, 1, { op: 'put', key: 'a', value: 'x' }),
      op(2, 0, 1, { op: 'put', key: 'b', value: 'y' }),
      op(1, 2, 3, { op: 'get', key: 'a' }, 'x'),
      op(2, 2, 3, { op: 'get', key: 'b' }, null), // stale: b was written
      op(3, 2, 3, { op: 'get', key: 'c' }, null),
    ];
    const res = checkLinearizable(kv, h, { report: dir });
    expect(res.result).toBe('violation');
    if (res.result !== 'violation') return;
    expect(res.partitions).toBe(3);
    expect(res.partition).toBe('b');
    expect(res.operations).toEqual([1, 3]);
    expect(res.failing).toBe(3);
    expect(res.message).toContain('get(b) → null');
  });

  it('deletes and cas on absent keys', () => {
    const h: KvOp[] = [
      op(1, 0, 1, { op: 'cas', key: 'k', expected: null, value: 'v' }, true),
      op(1, 2, 3, { op: 'delete', key: 'k' }),
      op(2, 4, 5, { op: 'get', key: 'k' }, null),
    ];
    expect(checkLinearizable(kv, h, { report: false }).result).toBe('ok');
    h[2] = op(2, 4, 5, { op: 'get', key: 'k' }, 'v');
    expect(checkLinearizable(kv, h, { report: false }).result).toBe('violation');
  });
});

describe('checkLinearizable: user models, budgets and reports', () => {
  // A counter: inc returns the new value; read returns the value.
  type CIn = { op: 'inc' } | { op: 'read' };
  const counter: Model<number, CIn, number> = {
    init: () => 0,
    step: (s, i, o) =>
      i.op === 'inc' ? [o === undefined || o === s + 1, s + 1] : [o === undefined || o === s, s],
    describe: (i, o) => `${i.op} → ${o ?? '?'}`,
  };

  it('works with a user model without hash/equal', () => {
    const h: Array<Operation<CIn, number>> = [
      { client: 1, call: 0, return: 10, input: { op: 'inc' }, output: 2 },
      { client: 2, call: 1, return: 9, input: { op: 'inc' }, output: 1 },
      { client: 3, call: 11, return: 12, input: { op: 'read' }, output: 2 },
    ];
    expect(checkLinearizable(counter, h, { report: false }).result).toBe('ok');
    h[2] = { client: 3, call: 11, return: 12, input: { op: 'read' }, output: 1 };
    expect(checkLinearizable(counter, h, { report: false }).result).toBe('violation');
  });

  it('returns unknown instead of hanging when the budget runs out', () => {
    // Many fully concurrent writes of distinct values followed by an impossible read:
    // without a hit in the memo table the search space is factorial.
    const h: RegOp[] = [];
    for (let i = 0; i < 60; i++) h.push(w(i, 0, 100, i + 1));
    h.push(r(99, 101, 102, -1));
    const res = checkLinearizable(reg, h, { timeoutMs: 50, report: false });
    // Memoization keeps this one tractable in practice; either way it must not hang.
    expect(['violation', 'unknown']).toContain(res.result);
    const tiny = checkLinearizable(reg, h, { maxCacheEntries: 10, report: false });
    expect(tiny.result).toBe('unknown');
    if (tiny.result === 'unknown') expect(tiny.reason).toBe('memory');
  });

  it('writes a self-contained HTML/SVG report on violation', () => {
    const h = [w(1, 0, 1, 1), r(2, 2, 3, 0), w(3, 0, undefined, 9)];
    const res = checkLinearizable(reg, h, { report: dir, title: 'stale <read>' });
    expect(res.result).toBe('violation');
    if (res.result !== 'violation') return;
    expect(res.reportPath).toBeDefined();
    const path = res.reportPath as string;
    expect(existsSync(path)).toBe(true);
    const html = readFileSync(path, 'utf8');
    expect(html).toContain('<svg');
    expect(html).toContain('stale &lt;read&gt;'); // escaped
    expect(html).toContain('class="fail'); // the failing op is highlighted
    expect(html).toContain('class="lin'); // the prefix is marked
    expect(html).toContain('client 1');
    expect(html).toContain('client 2');
    expect(html).toContain('pending'); // the never-returned write is drawn dashed
    expect(html).not.toMatch(/<script|src=|href=/); // self-contained
    expect(checkLinearizable(reg, h, { report: false })).not.toHaveProperty('reportPath');
  });

  it('random sequential histories are always linearizable; one corrupted read is not', () => {
    const seed = Number(process.env.SEED ?? 1234);
    console.log(`linearizability property test SEED=${seed}`);
    const rng = new Prng(seed);
    for (let round = 0; round < 50; round++) {
      let value = 0;
      let t = 0;
      const h: RegOp[] = [];
      const n = rng.int(1, 40);
      for (let i = 0; i < n; i++) {
        const call = t + rng.int(0, 2);
        const ret = call + rng.int(1, 3);
        t = ret + 1;
        if (rng.chance(0.5)) {
          value = rng.int(0, 5);
          h.push(w(rng.int(1, 4), call, ret, value));
        } else {
          h.push(r(rng.int(1, 4), call, ret, value));
        }
      }
      expect(check(h).result, `round ${round}`).toBe('ok');
      const reads = h.map((o, i) => [o, i] as const).filter(([o]) => o.input.op === 'read');
      if (reads.length === 0) continue;
      const [victim, vi] = rng.pick(reads);
      const bad = [...h];
      bad[vi] = { ...victim, output: (victim.output as number) + 100 };
      expect(checkLinearizable(reg, bad, { report: false }).result, `round ${round}`).toBe(
        'violation',
      );
    }
  });
});
