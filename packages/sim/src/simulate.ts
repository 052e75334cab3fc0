import { normalizeSeed, Prng, type Seed } from './prng.js';

export interface SeedOptions {
  /** How many seeds when neither SEED nor SIM_SEEDS is set. Default 10. */
  count?: number;
  /** First seed of the range. Default 1. */
  first?: number;
}

function env(name: string): string | undefined {
  const v = typeof process === 'undefined' ? undefined : process.env[name];
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

/**
 * The seeds a randomized test should run: just SEED if set (replay), else
 * SIM_SEEDS seeds ("500" or a range "1000-1999"), else `count` from `first`.
 */
export function seedsFromEnv(options: SeedOptions = {}): number[] {
  const one = env('SEED');
  if (one !== undefined) return [normalizeSeed(one)];
  let first = options.first ?? 1;
  let count = options.count ?? 10;
  const many = env('SIM_SEEDS');
  if (many !== undefined) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(many);
    if (range) {
      first = Number(range[1]);
      count = Number(range[2]) - first + 1;
    } else if (/^\d+$/.test(many)) {
      count = Number(many);
    } else {
      throw new RangeError(
        `SIM_SEEDS must be a count ("500") or a range ("1000-1999"), got ${many}`,
      );
    }
  }
  if (!Number.isSafeInteger(count) || count < 1)
    throw new RangeError(`seed count must be >= 1, got ${count}`);
  normalizeSeed(first);
  return Array.from({ length: count }, (_, i) => first + i);
}

/** Adds the seed and how to replay it to an error, once. */
function annotate(err: unknown, seed: number): unknown {
  const tag = `SEED=${seed}`;
  const hint = `${tag} (replay: ${tag} <your test command>, e.g. ${tag} pnpm vitest run --project <pkg> -t '<test name>')`;
  console.error(`simulation failed with ${hint}`);
  if (err instanceof Error) {
    if (!err.message.includes(tag)) err.message = `[${tag}] ${err.message}`;
    (err as Error & { seed?: number }).seed = seed;
    return err;
  }
  return new Error(`[${tag}] non-Error thrown: ${String(err)}`, { cause: err });
}

/**
 * Runs one seeded simulation. On failure (a throw or a rejected promise) it
 * prints `SEED=…` with replay instructions and prefixes the error message
 * with it.
 */
export function simulate<T>(seed: Seed, fn: (rng: Prng, seed: number) => T): T {
  const s = normalizeSeed(seed);
  let result: T;
  try {
    result = fn(new Prng(s), s);
  } catch (err) {
    throw annotate(err, s);
  }
  if (result instanceof Promise) {
    return result.catch((err: unknown) => {
      throw annotate(err, s);
    }) as T;
  }
  return result;
}

/**
 * Runs `fn` for every seed from `seedsFromEnv` (sync or async), stopping at
 * the first failure, which carries its seed.
 */
export function forEachSeed(fn: (seed: number, rng: Prng) => void, options?: SeedOptions): void;
export function forEachSeed(
  fn: (seed: number, rng: Prng) => Promise<void>,
  options?: SeedOptions,
): Promise<void>;
export function forEachSeed(
  fn: (seed: number, rng: Prng) => void | Promise<void>,
  options: SeedOptions = {},
): void | Promise<void> {
  const seeds = seedsFromEnv(options);
  for (let i = 0; i < seeds.length; i++) {
    const seed = seeds[i] as number;
    const r = simulate(seed, (rng) => fn(seed, rng));
    if (r instanceof Promise) {
      // Switch to sequential async mode for the remaining seeds.
      return (async () => {
        await r;
        for (let j = i + 1; j < seeds.length; j++) {
          const s = seeds[j] as number;
          await simulate(s, (rng) => fn(s, rng));
        }
      })();
    }
  }
}
