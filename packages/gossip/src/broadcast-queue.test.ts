import { describe, expect, it } from 'vitest';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';

const b = (n: number, len = 10): Uint8Array => new Uint8Array(len).fill(n);

describe('BroadcastQueue', () => {
  it('retransmits each broadcast up to the limit, least-sent first', () => {
    const q = new BroadcastQueue(100);
    q.push('a', b(1));
    expect(q.take(100, 2)).toEqual([b(1)]);
    q.push('b', b(2));
    expect(q.take(15, 2)).toEqual([b(2)]); // fresh news first, only one fits
    expect(q.take(100, 2)).toEqual([b(2), b(1)]); // newest first among equals
    expect(q.size).toBe(0);
    expect(q.take(100, 2)).toEqual([]);
  });

  it('replaces a pending broadcast with the same key', () => {
    const q = new BroadcastQueue(100);
    q.push('m:x', b(1));
    q.push('m:x', b(2));
    expect(q.size).toBe(1);
    expect(q.take(100, 5)).toEqual([b(2)]);
  });

  it('never exceeds the byte budget or carries one item twice in a packet', () => {
    const q = new BroadcastQueue(1_000);
    for (let i = 0; i < 200; i++) q.push(`k${i}`, b(i % 250, 7));
    for (let round = 0; round < 20; round++) {
      const got = q.take(100, 3, 1);
      expect(got.reduce((s, x) => s + x.length + 1, 0)).toBeLessThanOrEqual(100);
      expect(new Set(got).size).toBe(got.length);
    }
  });

  it('is bounded: the most-sent, oldest items are dropped first', () => {
    const q = new BroadcastQueue(3);
    q.push('a', b(1));
    q.take(100, 10);
    q.push('b', b(2));
    q.push('c', b(3));
    q.push('d', b(4));
    expect(q.size).toBe(3);
    expect(q.dropped).toBe(1);
    expect(q.has('a')).toBe(false);
  });

  it('grows the retransmit limit with log(n)', () => {
    expect(retransmitLimit(4, 1)).toBe(8); // never below 2 · mult
    expect(retransmitLimit(4, 9)).toBe(8);
    expect(retransmitLimit(4, 99)).toBe(8);
    expect(retransmitLimit(4, 100)).toBe(12);
    expect(retransmitLimit(4, 1_000)).toBe(16);
  });

  it('lets items ride along uncounted on packets to members not chosen at random', () => {
    const q = new BroadcastQueue(100);
    q.push('a', b(1));
    for (let i = 0; i < 5; i++) expect(q.take(100, 2, 0, 255, false)).toEqual([b(1)]);
    expect(q.size).toBe(1);
    expect(q.take(100, 2)).toEqual([b(1)]);
    expect(q.take(100, 2)).toEqual([b(1)]);
    expect(q.size).toBe(0);
  });
});
