import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type WalRecord, WriteAheadLog } from './write-ahead-log.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'raft-wal-'));
  dirs.push(d);
  return d;
}
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (r: WalRecord) => new TextDecoder().decode(r.payload);
const segments = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort();

/** A seeded PRNG (mulberry32), so a failing random case can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('WriteAheadLog', () => {
  it('returns the synced records in order after reopening, and continues their seqs', async () => {
    const dir = tmp();
    let { wal, records } = WriteAheadLog.open({ dir }, 0);
    expect(records).toEqual([]);
    expect(wal.append(bytes('a'))).toBe(1);
    expect(wal.append(bytes('b'))).toBe(2);
    await wal.sync();
    expect(wal.append(bytes('c'))).toBe(3);
    await wal.sync();
    await wal.close();

    ({ wal, records } = WriteAheadLog.open({ dir }, 0));
    expect(records.map((r) => [r.seq, text(r)])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(wal.append(bytes('d'))).toBe(4);
    await wal.close();
  });

  it('returns only the records after the checkpoint it is given', async () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open({ dir }, 0);
    for (const s of ['a', 'b', 'c', 'd']) wal.append(bytes(s));
    await wal.close();
    const again = WriteAheadLog.open({ dir }, 2);
    expect(again.records.map(text)).toEqual(['c', 'd']);
    expect(again.wal.append(bytes('e'))).toBe(5);
    await again.wal.close();
  });

  it('a torn tail ends the log at the last intact record; later writes go to a new segment', async () => {
    const dir = tmp();
    const first = WriteAheadLog.open({ dir }, 0).wal;
    first.append(bytes('kept-1'));
    first.append(bytes('kept-2'));
    first.append(bytes('torn-record'));
    await first.close();
    const [seg] = segments(dir);
    const path = join(dir, seg as string);
    // Tear the last record: cut it short in the middle of its payload.
    const used = 3 * 16 + 'kept-1kept-2torn-record'.length;
    truncateSync(path, used - 4);

    const second = WriteAheadLog.open({ dir }, 0);
    expect(second.records.map(text)).toEqual(['kept-1', 'kept-2']);
    expect(second.wal.append(bytes('after'))).toBe(3);
    await second.wal.close();
    // The torn segment is left as it was; the new record lives in a new one.
    expect(segments(dir)).toHaveLength(2);
    const third = WriteAheadLog.open({ dir }, 0);
    expect(third.records.map((r) => [r.seq, text(r)])).toEqual([
      [1, 'kept-1'],
      [2, 'kept-2'],
      [3, 'after'],
    ]);
    await third.wal.close();
  });

  it('a corrupted byte fails the checksum and ends the log there', async () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open({ dir }, 0);
    for (const s of ['one', 'two', 'three']) wal.append(bytes(s));
    await wal.close();
    const path = join(dir, segments(dir)[0] as string);
    const fd = openSync(path, 'r+');
    // Flip a payload byte of the second record ('two' starts at 16 + 3 + 16).
    writeSync(fd, Buffer.from('X'), 0, 1, 16 + 3 + 16);
    closeSync(fd);
    const again = WriteAheadLog.open({ dir }, 0);
    expect(again.records.map(text)).toEqual(['one']);
    await again.wal.close();
  });

  it('rolls over to new segments and release() deletes only fully checkpointed ones', async () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open({ dir, segmentBytes: 256 }, 0);
    const payload = bytes('x'.repeat(100)); // 116 bytes a record: two fit a segment
    for (let i = 1; i <= 6; i++) {
      wal.append(payload);
      await wal.sync();
    }
    expect(segments(dir)).toHaveLength(3);
    wal.release(3); // segment 1 holds seqs 1-2, segment 2 holds 3-4
    expect(segments(dir)).toHaveLength(2);
    wal.release(4);
    expect(segments(dir)).toHaveLength(1);
    wal.release(6); // the current segment is never deleted
    expect(segments(dir)).toHaveLength(1);
    await wal.close();
    const again = WriteAheadLog.open({ dir, segmentBytes: 256 }, 4);
    expect(again.records.map((r) => r.seq)).toEqual([5, 6]);
    await again.wal.close();
  });

  it('release() keeps a segment whose flush is still pending, and takes it after the flush', async () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open({ dir, segmentBytes: 64 }, 0);
    wal.append(bytes(`a-${'x'.repeat(40)}`));
    await wal.sync();
    wal.append(bytes(`b-${'x'.repeat(40)}`));
    const flushing = wal.sync(); // rolls: segment 1 sealed, segment 2 being flushed
    wal.append(bytes(`c-${'x'.repeat(40)}`));
    void wal.sync(); // waits behind the running flush; rolls to segment 3 (dirty)
    wal.release(2); // segment 1 goes; segment 2 is being flushed: it stays
    expect(segments(dir)).toHaveLength(2);
    await flushing;
    await wal.sync();
    wal.release(2);
    expect(segments(dir)).toHaveLength(1);
    await wal.close();
  });

  it('group commit: concurrent sync() calls share fdatasyncs', async () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open({ dir }, 0);
    const waits: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      wal.append(bytes(`r${i}`));
      waits.push(wal.sync());
    }
    await Promise.all(waits);
    // The first call flushes record 0; everything after it waits for one more flush.
    expect(wal.syncCount).toBeLessThanOrEqual(2);
    await wal.close();
    const again = WriteAheadLog.open({ dir }, 0);
    expect(again.records).toHaveLength(50);
    await again.wal.close();
  });

  it('inline sync flushes on the calling thread: durable when it resolves, nothing left dirty', async () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open({ dir }, 0);
    wal.append(bytes('inline-1'));
    wal.append(bytes('inline-2'));
    const flushed = wal.sync({ inline: true });
    // Already on disk when the call returns, before any await.
    expect(wal.durableSeq).toBe(2);
    await flushed;
    expect(wal.syncCount).toBe(1);
    wal.append(bytes('background'));
    const later = wal.sync();
    expect(wal.durableSeq).toBe(2); // the default flushes on the libuv pool
    await later;
    expect(wal.durableSeq).toBe(3);
    expect(wal.syncCount).toBe(2);
    await wal.sync(); // nothing new: no further flush
    expect(wal.syncCount).toBe(2);
    await wal.close();
    const again = WriteAheadLog.open({ dir }, 0);
    expect(again.records.map(text)).toEqual(['inline-1', 'inline-2', 'background']);
    await again.wal.close();
  });

  it('rejects an empty record and use after close', async () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open({ dir }, 0);
    expect(() => wal.append(new Uint8Array(0))).toThrow(/empty record/);
    await wal.close();
    expect(() => wal.append(bytes('late'))).toThrow(/closed/);
    await expect(wal.sync()).rejects.toThrow(/closed/);
  });

  it('never returns a record after a gap: a torn older segment hides later ones', async () => {
    const dir = tmp();
    const { wal } = WriteAheadLog.open({ dir, segmentBytes: 64 }, 0);
    for (let i = 1; i <= 4; i++) {
      wal.append(bytes(`rec-${i}-${'z'.repeat(20)}`));
      await wal.sync();
    }
    await wal.close();
    // One record a segment (64 B each). Tear segment 2: record 2 is gone, so
    // 3 and 4 must not be returned even though their segments are intact.
    const files = segments(dir);
    expect(files).toHaveLength(4);
    truncateSync(join(dir, files[1] as string), 10);
    const again = WriteAheadLog.open({ dir, segmentBytes: 64 }, 0);
    expect(again.records.map((r) => r.seq)).toEqual([1]);
    await again.wal.close();
  });

  it('cuts off records past a gap, so reused seqs can never meet stale ones', async () => {
    const dir = tmp();
    const opts = { dir, segmentBytes: 64 };
    const first = WriteAheadLog.open(opts, 0).wal;
    for (const s of ['one', 'two', 'three']) {
      first.append(bytes(`${s}-${'o'.repeat(30)}`));
      await first.sync(); // one record a segment
    }
    await first.close();
    truncateSync(join(dir, segments(dir)[1] as string), 10); // record 2 torn, 3 intact
    const second = WriteAheadLog.open(opts, 0);
    expect(second.records.map((r) => r.seq)).toEqual([1]);
    expect(second.wal.append(bytes(`TWO-${'n'.repeat(30)}`))).toBe(2);
    await second.wal.sync();
    expect(second.wal.append(bytes(`THREE-${'n'.repeat(30)}`))).toBe(3);
    await second.wal.close();
    // A checkpoint now covers seq 2: recovery wants seq 3, and must find the
    // new record 3, never the stale one written before the first crash.
    const third = WriteAheadLog.open(opts, 2);
    expect(third.records.map(text)).toEqual([`THREE-${'n'.repeat(30)}`]);
    await third.wal.close();
  });

  it('random crashes: every synced record survives, and what survives is a prefix', async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`write-ahead-log random crashes: SEED=${seed}`);
    const random = prng(seed);
    const rounds = Number(process.env.WAL_CRASH_ROUNDS ?? 60);
    for (let round = 0; round < rounds; round++) {
      const dir = tmp();
      const segmentBytes = 128 + Math.floor(random() * 512);
      const { wal } = WriteAheadLog.open({ dir, segmentBytes }, 0);
      const written: string[] = [];
      const record = () => {
        const s = `r${round}-${written.length}-${'p'.repeat(Math.floor(random() * 60))}`;
        wal.append(bytes(s));
        written.push(s);
        return 16 + s.length;
      };
      for (let i = Math.floor(random() * 20); i > 0; i--) {
        record();
        if (random() < 0.4) await wal.sync();
      }
      await wal.sync();
      const durable = written.length;
      // The crash hits during the next sync: of the bytes it wrote, only a
      // prefix reached the disk; the rest still holds what was there before.
      const before = segments(dir);
      const position = usedBytes(join(dir, before.at(-1) as string));
      let batch = 0;
      for (let i = 1 + Math.floor(random() * 5); i > 0; i--) batch += record();
      await wal.sync();
      await wal.close();
      const after = segments(dir);
      const rolled = after.length > before.length;
      const path = join(dir, after.at(-1) as string);
      const start = rolled ? 0 : position;
      const cut = start + Math.floor(random() * (batch + 1));
      const fd = openSync(path, 'r+');
      if (cut < start + batch)
        writeSync(fd, Buffer.alloc(start + batch - cut), 0, start + batch - cut, cut);
      closeSync(fd);

      const again = WriteAheadLog.open({ dir, segmentBytes }, 0);
      const got = again.records.map(text);
      const where = `SEED=${seed} round ${round}`;
      expect(got, where).toEqual(written.slice(0, got.length));
      expect(got.length, where).toBeGreaterThanOrEqual(durable);
      await again.wal.close();
    }
  });
});

/** Bytes taken by the records at the start of a segment file (up to a zero length). */
function usedBytes(path: string): number {
  const buf = readFileSync(path);
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len === 0) break;
    off += 16 + len;
  }
  return off;
}
