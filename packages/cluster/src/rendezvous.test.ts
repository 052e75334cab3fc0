import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hash32, rendezvousOwner, rendezvousRank } from './rendezvous.js';

const nodes = ['n1', 'n2', 'n3', 'n4', 'n5'];
const keys = Array.from({ length: 5000 }, (_, i) => `key-${i}`);

describe('rendezvous hashing', () => {
  it('has no owner without nodes', () => {
    expect(rendezvousOwner('k', [])).toBeUndefined();
    expect(rendezvousRank('k', [], 3)).toEqual([]);
  });

  it('does not depend on the order of the members', () => {
    fc.assert(
      fc.property(fc.string(), fc.shuffledSubarray(nodes, { minLength: 1 }), (key, subset) => {
        const reversed = [...subset].reverse();
        expect(rendezvousOwner(key, subset)).toBe(rendezvousOwner(key, reversed));
      }),
    );
  });

  it('spreads keys evenly (each of 5 nodes within 15% of its share)', () => {
    const counts = new Map<string, number>();
    for (const k of keys) {
      const o = rendezvousOwner(k, nodes) as string;
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    for (const n of nodes) expect(Math.abs((counts.get(n) ?? 0) - 1000)).toBeLessThan(150);
  });

  it('moves only the keys of a member that leaves, and only to the survivors', () => {
    const without = nodes.filter((n) => n !== 'n3');
    for (const k of keys) {
      const before = rendezvousOwner(k, nodes);
      const after = rendezvousOwner(k, without);
      if (before !== 'n3') expect(after).toBe(before);
      else expect(after).toBe(rendezvousRank(k, nodes, 2)[1]);
    }
  });

  it('moves to a joining member only the keys it now owns (about 1/n)', () => {
    const more = [...nodes, 'n6'];
    let moved = 0;
    for (const k of keys) {
      const after = rendezvousOwner(k, more);
      if (after !== rendezvousOwner(k, nodes)) {
        expect(after).toBe('n6');
        moved++;
      }
    }
    expect(moved).toBeGreaterThan(keys.length / 6 - 150);
    expect(moved).toBeLessThan(keys.length / 6 + 150);
  });

  it('ranks start with the owner and hold no duplicates', () => {
    for (const k of keys.slice(0, 200)) {
      const r = rendezvousRank(k, nodes, 10);
      expect(r[0]).toBe(rendezvousOwner(k, nodes));
      expect(new Set(r).size).toBe(nodes.length);
    }
  });

  it('hash32 is a stable 32-bit value', () => {
    expect(hash32('')).toBe(hash32(''));
    expect(hash32('a')).not.toBe(hash32('b'));
    fc.assert(
      fc.property(
        fc.string(),
        (s) => Number.isInteger(hash32(s)) && hash32(s) >= 0 && hash32(s) < 2 ** 32,
      ),
    );
  });
});
