import { describe, expect, it } from 'vitest';
import { Suspicion, suspicionMinTimeout, suspicionTimeout } from './suspicion.js';

describe('suspicion timeouts', () => {
  it('scales the minimum with log10(n), never below one interval multiple', () => {
    expect(suspicionMinTimeout(4, 1, 1_000)).toBe(4_000);
    expect(suspicionMinTimeout(4, 10, 1_000)).toBe(4_000);
    expect(suspicionMinTimeout(4, 100, 1_000)).toBe(8_000);
    expect(suspicionMinTimeout(4, 1_000, 1_000)).toBeCloseTo(12_000);
  });

  it('shrinks from max to min logarithmically with confirmations', () => {
    expect(suspicionTimeout(0, 3, 2_000, 30_000)).toBe(30_000);
    const one = suspicionTimeout(1, 3, 2_000, 30_000);
    const two = suspicionTimeout(2, 3, 2_000, 30_000);
    expect(one).toBe(16_000); // 30 - 28 * log(2)/log(4)
    expect(two).toBeLessThan(one);
    expect(suspicionTimeout(3, 3, 2_000, 30_000)).toBe(2_000);
    expect(suspicionTimeout(9, 3, 2_000, 30_000)).toBe(2_000);
    expect(suspicionTimeout(0, 0, 2_000, 30_000)).toBe(2_000);
  });

  it('counts each accuser once and stops at k', () => {
    const s = new Suspicion('a', 100, 2, 1_000, 6_000);
    expect(s.deadline).toBe(6_100);
    expect(s.confirm('a')).toBe(false);
    expect(s.confirm('b')).toBe(true);
    expect(s.confirm('b')).toBe(false);
    expect(s.confirm('c')).toBe(true);
    expect(s.deadline).toBe(1_100);
    expect(s.confirm('d')).toBe(false);
  });
});
