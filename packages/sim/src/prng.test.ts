import { describe, expect, it } from 'vitest';
import { normalizeSeed, Prng } from './prng.js';

describe('Prng', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const c = new Prng(43);
    const xs = Array.from({ length: 8 }, () => a.next());
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(xs);
    expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(xs);
    for (const x of xs) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
  });

  it('keeps seeds above 2^32 distinct and accepts numeric and text strings', () => {
    expect(new Prng(1).next()).not.toBe(new Prng(2 ** 32 + 1).next());
    expect(new Prng('123').next()).toBe(new Prng(123).next());
    expect(normalizeSeed('abc')).toBe(normalizeSeed('abc'));
    expect(normalizeSeed('abc')).not.toBe(normalizeSeed('abd'));
  });

  it('rejects bad seeds', () => {
    expect(() => new Prng(-1)).toThrow(RangeError);
    expect(() => new Prng(1.5)).toThrow(RangeError);
    expect(() => new Prng(Number.NaN)).toThrow(RangeError);
    expect(() => new Prng('')).toThrow(TypeError);
  });

  it('float is in [0,1) and roughly uniform', () => {
    const r = new Prng(7);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
      sum += f;
    }
    expect(Math.abs(sum / 10_000 - 0.5)).toBeLessThan(0.02);
  });

  it('int covers an inclusive range without bias and rejects bad bounds', () => {
    const r = new Prng(9);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 6000; i++) {
      const v = r.int(1, 6);
      counts[v - 1]!++;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
    expect(r.int(5, 5)).toBe(5);
    const big = r.int(0, 2 ** 40);
    expect(big >= 0 && big <= 2 ** 40).toBe(true);
    expect(() => r.int(3, 2)).toThrow(RangeError);
    expect(() => r.int(0.5, 2)).toThrow(RangeError);
  });

  it('chance, pick and shuffle', () => {
    const r = new Prng(3);
    expect(r.chance(0)).toBe(false);
    expect(r.chance(1)).toBe(true);
    expect(() => r.chance(1.5)).toThrow(RangeError);
    expect(() => r.chance(Number.NaN)).toThrow(RangeError);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (r.chance(0.3)) hits++;
    expect(hits).toBeGreaterThan(2700);
    expect(hits).toBeLessThan(3300);
    expect(['a', 'b', 'c']).toContain(r.pick(['a', 'b', 'c']));
    expect(() => r.pick([])).toThrow(RangeError);
    const arr = Array.from({ length: 20 }, (_, i) => i);
    const s = r.shuffle([...arr]);
    expect([...s].sort((x, y) => x - y)).toEqual(arr);
    expect(s).not.toEqual(arr);
  });

  it('fork gives independent, reproducible streams', () => {
    const a = new Prng(11);
    const b = new Prng(11);
    const fa = a.fork();
    const fb = b.fork();
    expect(fa.next()).toBe(fb.next());
    expect(fa.seed).toBe(fb.seed);
    expect(a.fork().next()).not.toBe(fa.next());
  });

  it('exponential has the requested mean', () => {
    const r = new Prng(5);
    let sum = 0;
    for (let i = 0; i < 20_000; i++) sum += r.exponential(10);
    expect(Math.abs(sum / 20_000 - 10)).toBeLessThan(0.5);
    expect(() => r.exponential(-1)).toThrow(RangeError);
  });
});
