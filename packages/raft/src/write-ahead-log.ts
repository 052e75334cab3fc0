import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { SyncOptions } from './storage.js';
import { syncDir } from './sync-dir.js';

export interface WriteAheadLogOptions {
  readonly dir: string;
  /** Bytes per segment. Default 16 MiB. */
  readonly segmentBytes?: number | undefined;
}

export interface WalRecord {
  readonly seq: number;
  readonly payload: Uint8Array;
}

const HEADER = 16;
const SEGMENT = /^(\d{16})\.wal$/;
const segmentName = (n: number) => `${String(n).padStart(16, '0')}.wal`;

interface Segment {
  readonly n: number;
  readonly fd: number;
  /** Highest seq written into this segment (0: none yet). */
  lastSeq: number;
}

/**
 * An append-only, checksummed record file: what makes a Raft write durable
 * with ONE fdatasync. (A durable LMDB commit costs two device flushes, data
 * pages then meta page; see README, Storage.) Records are buffered by
 * `append`, written and flushed by `sync` (group commit: every caller waiting
 * at the time shares one fdatasync), and read back once at open.
 *
 * Layout: numbered segment files `<n>.wal`. A record is a 16-byte header
 * (payload length u32, CRC-32 u32 over seq and payload, seq u64) and the
 * payload; a zero length or the end of the file ends a segment. (Zero-filling
 * segments ahead of use, to spare each flush a file-size update, measured no
 * better here: the extra writes cost more than they saved.) A torn or corrupt
 * record ends its segment, and only the unbroken run of seqs after the
 * caller's checkpoint is returned, so a crash can lose only writes that no
 * `sync` had confirmed; anything past a gap in that run is cut off at open.
 * After open, writing starts in a fresh segment: nothing is ever written
 * after a torn record, where stale bytes could be mistaken for new records.
 */
export class WriteAheadLog {
  /** fdatasync calls so far (tests assert group commit with it). */
  syncCount = 0;

  private readonly dir: string;
  private readonly segmentBytes: number;
  private current: Segment;
  /** Older segments, kept until a checkpoint covers their records. */
  private readonly sealed: Segment[] = [];
  /** Segments written since the last fdatasync began. */
  private readonly dirty = new Set<Segment>();
  /** Segments an fdatasync in the libuv pool is flushing now. */
  private flushing: readonly Segment[] = [];
  private position = 0;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private nextSeq: number;
  private writtenSeq: number;
  private syncedSeq: number;
  private syncing: Promise<void> | null = null;
  private failure: Error | null = null;
  private closed = false;

  /**
   * Opens `dir` and returns the records after `afterSeq` that survived: the
   * longest run `afterSeq + 1, afterSeq + 2, …` of intact records. Older
   * segments stay until `release` drops them.
   */
  static open(
    options: WriteAheadLogOptions,
    afterSeq: number,
  ): { wal: WriteAheadLog; records: WalRecord[] } {
    const { dir } = options;
    mkdirSync(dir, { recursive: true });
    const numbers = readdirSync(dir)
      .map((name) => SEGMENT.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
    const records: WalRecord[] = [];
    let expected = afterSeq + 1;
    const old: Segment[] = [];
    for (const [i, n] of numbers.entries()) {
      const path = join(dir, segmentName(n));
      let lastSeq = 0;
      let gapAt = -1;
      for (const r of readSegment(path)) {
        if (r.seq > afterSeq && r.seq !== expected) {
          gapAt = r.offset;
          break;
        }
        lastSeq = r.seq;
        if (r.seq === expected) {
          records.push({ seq: r.seq, payload: r.payload });
          expected++;
        }
      }
      old.push({ n, fd: -1, lastSeq });
      if (gapAt >= 0) {
        // Records past a gap were never confirmed (the flush that wrote them
        // did not finish). Cut them off now, before new records reuse their
        // seqs, so a later recovery can never mistake them for new ones.
        cutAfter(dir, path, gapAt, numbers.slice(i + 1).map(segmentName));
        break;
      }
    }
    const wal = new WriteAheadLog(options, (old.at(-1)?.n ?? 0) + 1, expected - 1);
    wal.sealed.push(...old);
    return { wal, records };
  }

  private constructor(options: WriteAheadLogOptions, firstSegment: number, lastSeq: number) {
    this.dir = options.dir;
    this.segmentBytes = options.segmentBytes ?? 16 << 20;
    this.nextSeq = lastSeq + 1;
    this.writtenSeq = lastSeq;
    this.syncedSeq = lastSeq;
    this.current = this.createSegment(firstSegment);
  }

  /** Buffers one record; it is durable once a later `sync()` resolves. Returns its seq. */
  append(payload: Uint8Array): number {
    this.assertOpen();
    // A zero length marks the end of a segment.
    if (payload.byteLength === 0) throw new Error('write-ahead log: empty record');
    const seq = this.nextSeq++;
    // Copied at once: a codec may reuse the block `payload` views.
    const record = Buffer.allocUnsafe(HEADER + payload.byteLength);
    record.writeUInt32LE(payload.byteLength, 0);
    record.writeUInt32LE(checksum(seq, payload), 4);
    record.writeBigUInt64LE(BigInt(seq), 8);
    record.set(payload, HEADER);
    this.buffered.push(record);
    this.bufferedBytes += record.length;
    return seq;
  }

  /** The seq of the last record appended. */
  get lastSeq(): number {
    return this.nextSeq - 1;
  }

  /** The seq of the last record known to be on disk. */
  get durableSeq(): number {
    return this.syncedSeq;
  }

  /**
   * Writes buffered records and resolves once every record appended before
   * the call is on disk. Concurrent callers share fdatasyncs; `inline`
   * flushes on the calling thread instead (see SyncOptions). A failed
   * fdatasync fails this and every later call: the page cache may have
   * dropped the data, so retrying could confirm a write that is gone.
   */
  async sync(options: SyncOptions = {}): Promise<void> {
    this.assertOpen();
    this.writeBuffered();
    // Not while a background flush runs: it may hold a segment this one would skip.
    if (options.inline && !this.syncing) this.flushDirtyInline();
    const target = this.writtenSeq;
    while (this.syncedSeq < target) {
      if (this.failure) throw this.failure;
      if (this.syncing) {
        await this.syncing;
        continue;
      }
      this.syncing = this.flushDirty();
      try {
        await this.syncing;
      } finally {
        this.syncing = null;
      }
    }
    if (this.failure) throw this.failure;
  }

  /**
   * Deletes sealed segments whose every record is ≤ `seq` (a checkpoint holds
   * them), oldest first, stopping at one with a flush pending or running
   * (its descriptor must stay open; a later release takes it).
   */
  release(seq: number): void {
    for (;;) {
      const s = this.sealed[0];
      if (!s || s.lastSeq > seq || this.dirty.has(s) || this.flushing.includes(s)) return;
      this.sealed.shift();
      if (s.fd >= 0) closeSync(s.fd);
      unlinkSync(join(this.dir, segmentName(s.n)));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.failure) await this.sync().catch(() => {});
    this.closed = true;
    for (const s of [...this.sealed, this.current]) if (s.fd >= 0) closeSync(s.fd);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('write-ahead log is closed');
  }

  private writeBuffered(): void {
    if (this.bufferedBytes === 0) return;
    const data =
      this.buffered.length === 1 ? (this.buffered[0] as Buffer) : Buffer.concat(this.buffered);
    const seqs = this.nextSeq - 1;
    if (this.position > 0 && this.position + this.bufferedBytes > this.segmentBytes) this.roll();
    this.buffered = [];
    this.bufferedBytes = 0;
    let off = 0;
    while (off < data.length) {
      off += writeSync(this.current.fd, data, off, data.length - off, this.position + off);
    }
    this.position += data.length;
    this.current.lastSeq = seqs;
    this.writtenSeq = seqs;
    this.dirty.add(this.current);
  }

  /** fdatasync on this thread: no hand-off to the libuv pool and back. */
  private flushDirtyInline(): void {
    if (this.failure || this.dirty.size === 0) return;
    const segments = [...this.dirty];
    this.dirty.clear();
    this.syncCount += segments.length;
    try {
      for (const s of segments) fdatasyncSync(s.fd);
      this.syncedSeq = this.writtenSeq;
    } catch (err) {
      this.failure = new Error(`write-ahead log fdatasync failed: ${(err as Error).message}`);
    }
  }

  private flushDirty(): Promise<void> {
    const segments = [...this.dirty];
    this.dirty.clear();
    this.flushing = segments;
    const upTo = this.writtenSeq;
    this.syncCount += segments.length;
    return Promise.all(
      segments.map(
        (s) =>
          new Promise<void>((resolve, reject) =>
            fdatasync(s.fd, (err) => (err ? reject(err) : resolve())),
          ),
      ),
    ).then(
      () => {
        this.syncedSeq = Math.max(this.syncedSeq, upTo);
        this.flushing = [];
      },
      (err: unknown) => {
        // `flushing` stays set: other fdatasyncs may still use those descriptors.
        this.failure = new Error(`write-ahead log fdatasync failed: ${(err as Error).message}`);
      },
    );
  }

  /** Seals the current segment and continues in a new one. */
  private roll(): void {
    this.sealed.push(this.current);
    this.current = this.createSegment(this.current.n + 1);
    this.position = 0;
  }

  private createSegment(n: number): Segment {
    const path = join(this.dir, segmentName(n));
    closeSync(openSync(path, 'w'));
    // The new name must be durable before any record in it is confirmed.
    syncDir(this.dir);
    return { n, fd: openSync(path, 'r+'), lastSeq: 0 };
  }
}

/** Scratch for the seq bytes: checksum runs once per record on the write path. */
const seqBytes = Buffer.alloc(8);

function checksum(seq: number, payload: Uint8Array): number {
  seqBytes.writeBigUInt64LE(BigInt(seq), 0);
  return crc32(payload, crc32(seqBytes));
}

/** The intact records of one segment, in order, up to the first torn or zero one. */
function readSegment(path: string): (WalRecord & { offset: number })[] {
  const buf = readFileSync(path);
  const out: (WalRecord & { offset: number })[] = [];
  let off = 0;
  while (off + HEADER <= buf.length) {
    const len = buf.readUInt32LE(off);
    if (len === 0 || off + HEADER + len > buf.length) break;
    const seq = Number(buf.readBigUInt64LE(off + 8));
    const payload = buf.subarray(off + HEADER, off + HEADER + len);
    if (checksum(seq, payload) !== buf.readUInt32LE(off + 4)) break;
    out.push({ seq, payload, offset: off });
    off += HEADER + len;
  }
  return out;
}

/** Truncates `path` at `offset` and deletes the segments after it, durably. */
function cutAfter(dir: string, path: string, offset: number, later: string[]): void {
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  for (const name of later) unlinkSync(join(dir, name));
  syncDir(dir);
}
