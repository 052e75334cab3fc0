import type { Prng } from './prng.js';

/**
 * A delay distribution in ms: a constant, a uniform range, an exponential
 * with a minimum (long tail, like real networks), or a custom sampler.
 */
export type Latency =
  | number
  | { min: number; max: number }
  | { min?: number; mean: number }
  | ((rng: Prng) => number);

/** Samples a latency; rejects negative, non-finite or malformed specs. */
export function sampleLatency(spec: Latency, rng: Prng): number {
  let v: number;
  if (typeof spec === 'number') {
    v = spec;
  } else if (typeof spec === 'function') {
    v = spec(rng);
  } else if ('max' in spec) {
    if (!(spec.max >= spec.min))
      throw new RangeError(`latency: max < min (${spec.min}..${spec.max})`);
    v = spec.min + rng.float() * (spec.max - spec.min);
  } else if ('mean' in spec) {
    v = (spec.min ?? 0) + rng.exponential(spec.mean);
  } else {
    throw new TypeError('latency: expected a number, {min,max}, {mean} or a function');
  }
  if (!(v >= 0) || !Number.isFinite(v)) {
    throw new RangeError(`latency: sampled ${v}; latencies must be finite and >= 0`);
  }
  return v;
}

/** Checks a spec without consuming randomness (for config-time errors). */
export function validateLatency(spec: Latency): void {
  if (typeof spec === 'number') {
    if (!(spec >= 0) || !Number.isFinite(spec))
      throw new RangeError(`latency: bad constant ${spec}`);
  } else if (typeof spec === 'function') {
    return;
  } else if (typeof spec === 'object' && spec !== null && 'max' in spec) {
    if (!(spec.min >= 0) || !(spec.max >= spec.min) || !Number.isFinite(spec.max)) {
      throw new RangeError(`latency: bad range ${spec.min}..${spec.max}`);
    }
  } else if (typeof spec === 'object' && spec !== null && 'mean' in spec) {
    if (!(spec.mean >= 0) || !((spec.min ?? 0) >= 0)) throw new RangeError('latency: bad mean/min');
  } else {
    throw new TypeError('latency: expected a number, {min,max}, {mean} or a function');
  }
}
