import { normalizeSeed, type Seed } from './prng.js';

/**
 * Runs a seeded scenario twice and throws if the two traces differ: catches
 * code that reads Date.now, Math.random, real timers, or iterates in an
 * unstable order. `run` returns a trace (event log, counters, final state)
 * as text; the error shows the first line where the runs diverge.
 */
export function assertDeterministic(seed: Seed, run: (seed: number) => string): string {
  const s = normalizeSeed(seed);
  const a = run(s);
  const b = run(s);
  if (typeof a !== 'string' || typeof b !== 'string') {
    throw new TypeError('assertDeterministic: run must return a string trace');
  }
  if (a === b) return a;
  const la = a.split('\n');
  const lb = b.split('\n');
  let i = 0;
  while (i < la.length && i < lb.length && la[i] === lb[i]) i++;
  throw new Error(
    `[SEED=${s}] nondeterministic: runs diverge at trace line ${i + 1}:\n` +
      `  first:  ${la[i] ?? '<end of trace>'}\n  second: ${lb[i] ?? '<end of trace>'}`,
  );
}
