import { defaultCodec } from '@switchyard/codec';
import type { LmdbState } from './lmdb-state.js';
import type { LogStore, StableStore, SyncOptions } from './storage.js';
import type { Entry, HardState } from './types.js';
import { WriteAheadLog } from './write-ahead-log.js';

/** One storage write, as a WAL record: append, hard state, compact, clear. */
type Op =
  | [0, [index: number, term: number, kind: 0 | 1, data: Uint8Array][]]
  | [1, HardState]
  | [2, number]
  | [3];

/** Ops applied to LMDB per event-loop turn during a checkpoint. */
const APPLY_SLICE = 256;

export interface WalOptions {
  /** Bytes per WAL segment. Default 16 MiB. */
  readonly segmentBytes?: number;
  /** Longest a write waits in the WAL before it is checkpointed into LMDB. Default 1 s. */
  readonly checkpointMs?: number;
  /** Checkpoint at once when this many bytes wait. Default 1 MiB. */
  readonly checkpointBytes?: number;
  /**
   * `sync()` waits for a checkpoint when this many bytes wait: the bound on
   * memory when LMDB falls behind. Default 64 MiB.
   */
  readonly maxPendingBytes?: number;
}

/**
 * LMDB fronted by a write-ahead log. Every write is a WAL record: durable once
 * the WAL's single fdatasync returns, which is all a Raft acknowledgement
 * waits for. The same writes reach LMDB in checkpoints (every `checkpointMs`,
 * or at `checkpointBytes`), and a WAL segment is deleted only after
 * `await db.flushed` confirmed a checkpoint covering it. At start, records
 * after LMDB's checkpoint are replayed into LMDB and flushed before anything
 * is read, so LMDB alone then holds the whole state.
 */
export class WalFrontedLmdb {
  private readonly wal: WriteAheadLog;
  /** The replayed records are in LMDB (read only after this). */
  private readonly recovered: Promise<void>;
  private pending: Op[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | null = null;
  private checkpointing: Promise<void> | null = null;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private readonly checkpointMs: number;
  private readonly checkpointBytes: number;
  private readonly maxPendingBytes: number;

  readonly log: LogStore;
  readonly stable: StableStore;

  constructor(
    private readonly state: LmdbState,
    dir: string,
    options: WalOptions = {},
  ) {
    this.checkpointMs = options.checkpointMs ?? 1000;
    this.checkpointBytes = options.checkpointBytes ?? 1 << 20;
    this.maxPendingBytes = options.maxPendingBytes ?? 64 << 20;
    // Recovery: replay the records past LMDB's checkpoint into LMDB. The old
    // segments stay until a flushed checkpoint covers them, so a crash during
    // replay just replays again (every write sets keys, so replay is idempotent).
    const { wal, records } = WriteAheadLog.open(
      { dir, segmentBytes: options.segmentBytes },
      state.readCheckpoint(),
    );
    for (const r of records) this.apply(defaultCodec.decode(r.payload) as Op);
    const last = records.at(-1);
    if (last) state.saveCheckpoint(last.seq);
    this.wal = wal;
    this.recovered = state.flushed();
    this.log = {
      load: async () => {
        await this.recovered;
        return this.state.readEntries();
      },
      append: (entries: readonly Entry[]) =>
        this.write([0, entries.map((e) => [e.index, e.term, e.kind === 'config' ? 1 : 0, e.data])]),
      compact: (index: number) => this.write([2, index]),
      clear: () => this.write([3]),
      sync: (options?: SyncOptions) => this.sync(options),
      // RaftNode.close() closes its stores: either one closes everything.
      close: () => this.close(),
    };
    this.stable = {
      load: async () => {
        await this.recovered;
        return this.state.readHardState();
      },
      save: (hardState: HardState) => this.write([1, hardState]),
      sync: (options?: SyncOptions) => this.sync(options),
      close: () => this.close(),
    };
  }

  /** Checkpoints what is pending, then closes the WAL and LMDB (once). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      if (!this.failure) {
        await this.wal.sync().catch(() => {});
        // A running checkpoint may leave writes behind it (or a timer): drain all.
        while ((this.checkpointing || this.pending.length > 0) && !this.failure) {
          await this.checkpoint();
        }
      }
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      await this.wal.close();
      await this.state.close();
    })();
    return this.closing;
  }

  private write(op: Op): void {
    const payload = defaultCodec.encode(op);
    this.wal.append(payload);
    this.pending.push(op);
    this.pendingBytes += payload.byteLength;
    this.scheduleCheckpoint();
  }

  /** At once when `checkpointBytes` wait, else `checkpointMs` after the first pending write. */
  private scheduleCheckpoint(): void {
    if (this.checkpointing || this.pending.length === 0) return;
    if (this.pendingBytes >= this.checkpointBytes) void this.checkpoint();
    else if (!this.timer) {
      this.timer = setTimeout(() => void this.checkpoint(), this.checkpointMs);
      this.timer.unref();
    }
  }

  private async sync(options?: SyncOptions): Promise<void> {
    if (this.failure) throw this.failure;
    await this.wal.sync(options);
    // Bounded memory: when LMDB falls this far behind, writers wait for it.
    while (this.pendingBytes > this.maxPendingBytes && !this.failure) await this.checkpoint();
    if (this.failure) throw this.failure;
  }

  /**
   * Applies pending writes to LMDB, records the WAL seq they reach, awaits
   * `db.flushed`, then deletes covered segments.
   * Checkpoints run one at a time; a failure fails every later `sync()`.
   */
  private checkpoint(): Promise<void> {
    if (this.checkpointing) return this.checkpointing;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const wal = this.wal;
    if (this.pending.length === 0) return Promise.resolve();
    const ops = this.pending;
    const seq = wal.lastSeq;
    this.pending = [];
    this.pendingBytes = 0;
    this.checkpointing = (async () => {
      // In slices, yielding between them: applying a 4 MiB checkpoint in one
      // go blocked the event loop for tens of milliseconds. The seq goes last,
      // so a crash between slices just replays them (replay is idempotent).
      for (let i = 0; i < ops.length; i++) {
        if (i > 0 && i % APPLY_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
        this.apply(ops[i] as Op);
      }
      this.state.saveCheckpoint(seq);
      await this.state.flushed();
      wal.release(seq);
    })()
      .catch((err: unknown) => {
        this.failure = new Error(`raft storage: LMDB checkpoint failed: ${(err as Error).message}`);
      })
      .finally(() => {
        this.checkpointing = null;
        if (!this.failure) this.scheduleCheckpoint();
      });
    return this.checkpointing;
  }

  private apply(op: Op): void {
    switch (op[0]) {
      case 0:
        this.state.append(
          op[1].map(([index, term, kind, data]) => ({
            index,
            term,
            kind: kind === 1 ? 'config' : 'normal',
            data,
          })),
        );
        break;
      case 1:
        this.state.saveHardState(op[1]);
        break;
      case 2:
        this.state.compact(op[1]);
        break;
      case 3:
        this.state.clear();
        break;
    }
  }
}
