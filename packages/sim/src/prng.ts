/**
 * Seeded pseudo-random generator: xoshiro128** (Blackman & Vigna) seeded
 * through splitmix32, so any integer or string seed gives a well-mixed,
 * never-all-zero state. Everything random in a simulation must come from one of
 * these, so a failing run replays exactly from its seed.
 */

/** A seed: a safe non-negative integer, or a string (hashed to an integer). */
export type Seed = number | string;

const TWO_32 = 4294967296;

/** splitmix32 step: used only to spread a seed over the 128-bit state. */
function splitmix32(state: { x: number }): number {
  state.x = (state.x + 0x9e3779b9) | 0;
  let z = state.x;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a over UTF-16 code units: turns a string seed into an integer one. */
function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** Validates a seed and returns it as a non-negative safe integer. */
export function normalizeSeed(seed: Seed): number {
  if (typeof seed === 'string') {
    const trimmed = seed.trim();
    if (/^\d+$/.test(trimmed)) {
      const n = Number(trimmed);
      if (Number.isSafeInteger(n)) return n;
    }
    if (trimmed.length === 0) throw new TypeError('seed: empty string');
    return hashString(trimmed);
  }
  if (!Number.isSafeInteger(seed) || seed < 0) {
    throw new RangeError(`seed: expected a non-negative safe integer, got ${String(seed)}`);
  }
  return seed;
}

export class Prng {
  /** The seed this generator was built from (forks get derived seeds). */
  readonly seed: number;
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed: Seed) {
    this.seed = normalizeSeed(seed);
    // Fold the high bits in so seeds above 2^32 stay distinct.
    const hi = Math.floor(this.seed / TWO_32) >>> 0;
    const st = { x: (this.seed >>> 0) ^ Math.imul(hi, 0x27d4eb2d) };
    this.s0 = splitmix32(st);
    this.s1 = splitmix32(st);
    this.s2 = splitmix32(st);
    this.s3 = splitmix32(st);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // all-zero is a fixed point
  }

  /** Next raw output: an unsigned 32-bit integer. */
  next(): number {
    const s1 = this.s1;
    const r = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform float in [0, 1) with 53 bits of precision. */
  float(): number {
    const hi = this.next() >>> 5; // 27 bits
    const lo = this.next() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform integer in [lo, hi], both ends inclusive (int(1, 6) is a die). */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
      throw new RangeError(`int: bounds must be safe integers, got ${lo}, ${hi}`);
    }
    if (hi < lo) throw new RangeError(`int: empty range [${lo}, ${hi}]`);
    const span = hi - lo + 1;
    if (span <= TWO_32) {
      // Rejection sampling keeps the result unbiased for spans that do not divide 2^32.
      const limit = TWO_32 - (TWO_32 % span);
      let x = this.next();
      while (x >= limit) x = this.next();
      return lo + (x % span);
    }
    return lo + Math.floor(this.float() * span);
  }

  /** True with probability p (p outside [0, 1] is an error). */
  chance(p: number): boolean {
    if (!(p >= 0 && p <= 1))
      throw new RangeError(`chance: probability must be in [0, 1], got ${p}`);
    if (p === 0) return false;
    if (p === 1) return true;
    return this.float() < p;
  }

  /** A uniformly chosen element; an empty array is an error. */
  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new RangeError('pick: empty array');
    return arr[this.int(0, arr.length - 1)] as T;
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = arr[i] as T;
      arr[i] = arr[j] as T;
      arr[j] = tmp;
    }
    return arr;
  }

  /** Exponentially distributed value with the given mean (for latencies, think times). */
  exponential(mean: number): number {
    if (!(mean >= 0)) throw new RangeError(`exponential: mean must be >= 0, got ${mean}`);
    return -mean * Math.log(1 - this.float());
  }

  /**
   * An independent generator derived from this one. Forking consumes output
   * from the parent, so the order of forks is part of the replay.
   */
  fork(): Prng {
    const hi = this.next() & 0x1fffff; // 21 bits so the derived seed stays a safe integer
    return new Prng(hi * TWO_32 + this.next());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
