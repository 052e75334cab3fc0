import { describe, expect, it } from 'vitest';
import { isPending, type Operation } from './history.js';
import { checkLinearizable } from './linearizability.js';
import type { Model } from './model.js';
import { Prng } from './prng.js';
import { type RegisterInput, registerModel } from './register-model.js';

/**
 * Cross-checks the search against a brute-force oracle on small random
 * histories: try every order of every subset of pending operations together
 * with all completed ones, keeping real-time order.
 */
function bruteForce<S, I, O>(model: Model<S, I, O>, h: ReadonlyArray<Operation<I, O>>): boolean {
  const done = h.map((_, i) => i).filter((i) => !isPending(h[i] as Operation));
  const pend = h.map((_, i) => i).filter((i) => isPending(h[i] as Operation));
  const precedes = (a: number, b: number) => {
    const x = h[a] as Operation;
    return !isPending(x) && (x.return as number) < (h[b] as Operation).call;
  };
  for (let mask = 0; mask < 1 << pend.length; mask++) {
    const chosen = [...done, ...pend.filter((_, k) => mask & (1 << k))];
    const used = new Set<number>();
    const order: number[] = [];
    const search = (state: S): boolean => {
      if (order.length === chosen.length) return true;
      for (const i of chosen) {
        if (used.has(i)) continue;
        // i may go next only if no unused chosen op must precede it.
        if (chosen.some((j) => j !== i && !used.has(j) && precedes(j, i))) continue;
        const op = h[i] as Operation<I, O>;
        const [ok, next] = model.step(state, op.input, isPending(op) ? undefined : op.output);
        if (!ok) continue;
        used.add(i);
        order.push(i);
        if (search(next)) return true;
        used.delete(i);
        order.pop();
      }
      return false;
    };
    if (search(model.init())) return true;
  }
  return false;
}

describe('checkLinearizable agrees with a brute-force oracle', () => {
  it('on random small register histories', () => {
    const seed = Number(process.env.SEED ?? 20261125);
    console.log(`oracle test SEED=${seed}`);
    const rng = new Prng(seed);
    const model = registerModel(0);
    let ok = 0;
    let bad = 0;
    for (let round = 0; round < 400; round++) {
      const n = rng.int(1, 6);
      const h: Array<Operation<RegisterInput<number>, unknown>> = [];
      for (let i = 0; i < n; i++) {
        const call = rng.int(0, 10);
        const pending = rng.chance(0.15);
        const ret = pending ? undefined : call + rng.int(0, 6);
        const x = rng.float();
        const input: RegisterInput<number> =
          x < 0.45
            ? { op: 'read' }
            : x < 0.85
              ? { op: 'write', value: rng.int(0, 2) }
              : { op: 'cas', expected: rng.int(0, 2), value: rng.int(0, 2) };
        const output =
          input.op === 'read' ? rng.int(0, 2) : input.op === 'cas' ? rng.chance(0.5) : 'ok';
        h.push({ client: rng.int(1, 3), call, return: ret, input, output });
      }
      const want = bruteForce(model, h);
      const got = checkLinearizable(model, h, { report: false }).result;
      expect(got, `round ${round}: ${JSON.stringify(h)}`).toBe(want ? 'ok' : 'violation');
      if (want) ok++;
      else bad++;
    }
    // Both outcomes are well represented, so the comparison means something.
    expect(ok).toBeGreaterThan(50);
    expect(bad).toBeGreaterThan(50);
  });
});
