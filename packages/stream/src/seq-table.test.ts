import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeqTable } from './seq-table.js';

interface Entry {
  seq: number;
}

function take(t: SeqTable<Entry>): Entry {
  const e = { seq: t.nextSeq() };
  t.add(e);
  return e;
}

describe('SeqTable (PROTOCOL.md §4.1)', () => {
  it('hands out increasing seqs from 1 and finds entries by seq', () => {
    const t = new SeqTable<Entry>();
    const a = take(t);
    const b = take(t);
    expect([a.seq, b.seq]).toEqual([1, 2]);
    expect(t.get(1)).toBe(a);
    expect(t.get(2)).toBe(b);
    expect(t.get(3)).toBeUndefined();
    expect(t.get(1 + 16)).toBeUndefined(); // same slot, other seq
    t.delete(a);
    expect(t.get(1)).toBeUndefined();
    expect(t.size).toBe(1);
  });

  it('§4.1 skips seqs still in flight (and 0) when wrapping', () => {
    const t = new SeqTable<Entry>();
    const held = take(t); // seq 1, kept in flight
    let last = held;
    for (let i = 0; i < 100; i++) {
      last = take(t);
      t.delete(last);
    }
    expect(last.seq).toBeGreaterThan(1);
    // Force the wrap: the next seq after 2³²−1 is never 0 and never the held 1.
    (t as unknown as { last: number }).last = 0xffffffff - 1;
    const top = take(t);
    expect(top.seq).toBe(0xffffffff);
    const wrapped = take(t);
    expect(wrapped.seq).not.toBe(0);
    expect(wrapped.seq).not.toBe(held.seq);
    expect(t.get(held.seq)).toBe(held);
  });

  it('never gives two live entries the same seq and keeps them all reachable (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 2000 }), (ops) => {
        const t = new SeqTable<Entry>();
        const live: Entry[] = [];
        for (const add of ops) {
          if (add || live.length === 0) {
            const e = take(t);
            expect(live.some((x) => x.seq === e.seq)).toBe(false);
            live.push(e);
          } else {
            // Finish the oldest call but one: leaves long-lived entries behind.
            const e = live.splice(Math.min(1, live.length - 1), 1)[0]!;
            t.delete(e);
          }
          expect(t.size).toBe(live.length);
        }
        for (const e of live) expect(t.get(e.seq)).toBe(e);
        expect(t.values().length).toBe(live.length);
      }),
      { numRuns: 50 },
    );
  });
});
