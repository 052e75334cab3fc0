import { describe, expect, it } from 'vitest';
import { StaleHandleError } from './disk-options.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';
import { SimDisk } from './sim-disk.js';

const bytes = (...xs: number[]) => new Uint8Array(xs);

describe('SimDisk files', () => {
  it('shows writes at once, makes them durable only after sync completes', () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(1), {
      syncLatency: 2,
      unsyncedOnCrash: 'lose-all',
      tornWrite: 0,
    });
    const f = disk.file('log');
    f.append(bytes(1, 2, 3));
    expect(f.read()).toEqual(bytes(1, 2, 3));
    expect(f.durableSize).toBe(0);
    let synced = false;
    f.sync(() => {
      synced = true;
    });
    f.append(bytes(4)); // after the sync call: not covered by it
    s.runFor(1);
    expect(synced).toBe(false);
    s.runFor(1);
    expect(synced).toBe(true);
    expect(f.durableSize).toBe(3);
    disk.crash();
    expect(() => f.read()).toThrow(StaleHandleError);
    expect(disk.file('log').read()).toEqual(bytes(1, 2, 3));
    expect(disk.stats.lostOps).toBe(1);
  });

  it('a crash before the sync completes loses the write and the callback', () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(1), {
      syncLatency: 5,
      unsyncedOnCrash: 'lose-all',
      tornWrite: 0,
    });
    const f = disk.file('log');
    f.append(bytes(1));
    let called = false;
    f.sync(() => {
      called = true;
    });
    s.runFor(2);
    disk.crash();
    s.runAll();
    expect(called).toBe(false);
    expect(disk.file('log').size).toBe(0);
  });

  it('truncate is an ordinary unsynced op', () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(1), {
      syncLatency: 0,
      unsyncedOnCrash: 'lose-all',
      tornWrite: 0,
    });
    const f = disk.file('log');
    f.append(bytes(1, 2, 3, 4));
    f.sync();
    s.runAll();
    f.truncate(2);
    expect(f.read()).toEqual(bytes(1, 2));
    disk.crash();
    expect(disk.file('log').read()).toEqual(bytes(1, 2, 3, 4));
    const g = disk.file('log');
    g.truncate(1);
    g.append(bytes(9));
    g.sync();
    s.runAll();
    disk.crash();
    expect(disk.file('log').read()).toEqual(bytes(1, 9));
  });

  it('crash keeps a prefix of unsynced writes and may tear the next one', () => {
    let torn = 0;
    let partial = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const s = new Scheduler();
      const disk = new SimDisk(s, new Prng(seed), { tornWrite: 0.5 });
      const f = disk.file('log');
      f.append(bytes(1, 1, 1, 1));
      f.sync();
      s.runAll();
      f.append(bytes(2, 2, 2, 2));
      f.append(bytes(3, 3, 3, 3));
      disk.crash();
      const after = disk.file('log').read();
      // Synced data always survives; the rest is an in-order prefix of what was written.
      expect(Array.from(after.subarray(0, 4))).toEqual([1, 1, 1, 1]);
      const full = [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3];
      expect(Array.from(after)).toEqual(full.slice(0, after.length));
      if (after.length % 4 !== 0) torn++;
      if (after.length > 4) partial++;
      expect(disk.stats.tornWrites).toBe(after.length % 4 !== 0 ? 1 : 0);
    }
    expect(torn).toBeGreaterThan(20);
    expect(partial).toBeGreaterThan(20);
  });

  it('bounds file size and pending ops, rejects bad input', () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(1), { maxFileSize: 4, maxPendingOps: 3 });
    const f = disk.file('x');
    expect(() => f.append(bytes(1, 2, 3, 4, 5))).toThrow(/maxFileSize/);
    f.append(bytes(1));
    f.append(bytes(1));
    f.append(bytes(1));
    expect(() => f.append(bytes(1))).toThrow(/unsynced/);
    expect(() => f.truncate(-1)).toThrow(RangeError);
    expect(() => f.append('x' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => f.read(3, 1)).toThrow(RangeError);
    expect(() => disk.file('')).toThrow(TypeError);
    expect(() => new SimDisk(s, new Prng(1), { tornWrite: 2 })).toThrow(RangeError);
  });
});

describe('SimDisk key-value stores', () => {
  it('durable after sync, lost otherwise; values are copied', () => {
    const s = new Scheduler();
    const disk = new SimDisk(s, new Prng(1), { syncLatency: 1, unsyncedOnCrash: 'lose-all' });
    const kv = disk.kv<{ term: number; vote?: string }>('stable');
    const v = { term: 3, vote: 'a' };
    kv.put('state', v);
    v.term = 99;
    expect(kv.get('state')).toEqual({ term: 3, vote: 'a' });
    kv.sync();
    s.runAll();
    kv.put('state', { term: 4 });
    kv.put('other', { term: 1 });
    kv.delete('state');
    expect(kv.has('state')).toBe(false);
    expect(kv.keys()).toEqual(['other']);
    disk.crash();
    expect(() => kv.get('state')).toThrow(StaleHandleError);
    const kv2 = disk.kv<{ term: number }>('stable');
    expect(kv2.get('state')).toEqual({ term: 3, vote: 'a' });
    expect(kv2.keys()).toEqual(['state']);
    expect(() => kv2.put('x', undefined as unknown as { term: number })).toThrow(TypeError);
    expect(disk.kvNames()).toEqual(['stable']);
  });
});
