import { afterEach, describe, expect, it, vi } from 'vitest';
import { forEachSeed, seedsFromEnv, simulate } from './simulate.js';

describe('simulate / forEachSeed', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('passes a seeded rng and returns the result', () => {
    const a = simulate(7, (rng) => rng.next());
    const b = simulate(7, (rng) => rng.next());
    expect(a).toBe(b);
  });

  it('tags failures with the seed and prints how to replay', () => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(() =>
      simulate(42, () => {
        throw new Error('invariant broken');
      }),
    ).toThrow('[SEED=42] invariant broken');
    expect(String(err.mock.calls[0]?.[0])).toContain('SEED=42');
    expect(() =>
      simulate(43, () => {
        throw 'str';
      }),
    ).toThrow(/SEED=43.*str/);
  });

  it('tags async failures', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    await expect(
      simulate(5, async () => {
        throw new Error('late');
      }),
    ).rejects.toThrow('[SEED=5] late');
  });

  it('reads SEED and SIM_SEEDS', () => {
    vi.stubEnv('SEED', '');
    vi.stubEnv('SIM_SEEDS', '');
    expect(seedsFromEnv({ count: 3 })).toEqual([1, 2, 3]);
    expect(seedsFromEnv({ count: 2, first: 100 })).toEqual([100, 101]);
    vi.stubEnv('SIM_SEEDS', '5');
    expect(seedsFromEnv({ count: 3 })).toEqual([1, 2, 3, 4, 5]);
    vi.stubEnv('SIM_SEEDS', '1000-1002');
    expect(seedsFromEnv()).toEqual([1000, 1001, 1002]);
    vi.stubEnv('SIM_SEEDS', 'lots');
    expect(() => seedsFromEnv()).toThrow(/SIM_SEEDS/);
    vi.stubEnv('SEED', '77');
    expect(seedsFromEnv({ count: 3 })).toEqual([77]);
    expect(() => seedsFromEnv({ count: 0, first: 1 })).not.toThrow(); // SEED wins
    vi.stubEnv('SEED', '');
    vi.stubEnv('SIM_SEEDS', '');
    expect(() => seedsFromEnv({ count: 0 })).toThrow(RangeError);
  });

  it('forEachSeed stops at the first failing seed', async () => {
    vi.stubEnv('SEED', '');
    vi.stubEnv('SIM_SEEDS', '');
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const seen: number[] = [];
    forEachSeed((seed) => void seen.push(seed), { count: 4 });
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(() =>
      forEachSeed(
        (seed) => {
          if (seed === 3) throw new Error('bad');
        },
        { count: 5 },
      ),
    ).toThrow('[SEED=3] bad');
    const asyncSeen: number[] = [];
    await forEachSeed(
      async (seed) => {
        asyncSeen.push(seed);
      },
      { count: 3 },
    );
    expect(asyncSeen).toEqual([1, 2, 3]);
  });
});
