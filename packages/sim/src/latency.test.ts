import { describe, expect, it } from 'vitest';
import { sampleLatency, validateLatency } from './latency.js';
import { Prng } from './prng.js';

describe('latency specs', () => {
  it('samples constants, ranges, exponentials with a floor, and functions', () => {
    const rng = new Prng(1);
    expect(sampleLatency(3, rng)).toBe(3);
    for (let i = 0; i < 100; i++) {
      const v = sampleLatency({ min: 2, max: 4 }, rng);
      expect(v >= 2 && v <= 4).toBe(true);
      expect(sampleLatency({ min: 5, mean: 1 }, rng)).toBeGreaterThanOrEqual(5);
    }
    expect(sampleLatency((r) => r.int(7, 7), rng)).toBe(7);
  });

  it('rejects bad specs and bad samples', () => {
    const rng = new Prng(1);
    expect(() => validateLatency(-1)).toThrow(RangeError);
    expect(() => validateLatency(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => validateLatency({ min: 3, max: 1 })).toThrow(RangeError);
    expect(() => validateLatency({ mean: -1 })).toThrow(RangeError);
    expect(() => validateLatency('fast' as never)).toThrow(TypeError);
    expect(() => sampleLatency(() => -1, rng)).toThrow(/finite and >= 0/);
    expect(() => sampleLatency(() => Number.NaN, rng)).toThrow(RangeError);
    expect(() => sampleLatency({} as never, rng)).toThrow(TypeError);
  });
});
