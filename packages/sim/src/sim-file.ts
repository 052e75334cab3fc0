import { type ResolvedDiskOptions, StaleHandleError } from './disk-options.js';
import { sampleLatency } from './latency.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

type FileOp = { kind: 'append'; data: Uint8Array } | { kind: 'truncate'; length: number };

/** A byte buffer that grows by doubling, so appends are amortized O(n). */
class Bytes {
  buf: Uint8Array = new Uint8Array(64);
  length = 0;
  append(data: Uint8Array): void {
    const need = this.length + data.length;
    if (need > this.buf.length) {
      let cap = this.buf.length;
      while (cap < need) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
    }
    this.buf.set(data, this.length);
    this.length = need;
  }
  apply(op: FileOp): void {
    if (op.kind === 'append') this.append(op.data);
    else this.length = Math.min(this.length, op.length);
  }
  copy(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Shared state of one file on a simulated disk; survives crashes. */
export class FileState {
  readonly current = new Bytes(); // what the process sees (page cache)
  readonly durable = new Bytes(); // what survives a crash
  ops: FileOp[] = []; // unsynced operations, oldest first
  opsBase = 0; // absolute index of ops[0]
  epoch = 0;

  constructor(readonly name: string) {}

  /** Makes every op before absolute index `upTo` durable. */
  persist(upTo: number): void {
    const n = upTo - this.opsBase;
    if (n <= 0) return;
    for (let i = 0; i < n; i++) this.durable.apply(this.ops[i] as FileOp);
    this.ops = this.ops.slice(n);
    this.opsBase = upTo;
  }

  /** Applies the crash model and returns [lost ops, torn]. */
  crash(rng: Prng, opts: ResolvedDiskOptions): [number, boolean] {
    const pending = this.ops.length;
    const keep = opts.unsyncedOnCrash === 'random-prefix' && pending > 0 ? rng.int(0, pending) : 0;
    this.persist(this.opsBase + keep);
    let torn = false;
    const next = this.ops[0];
    if (next?.kind === 'append' && next.data.length > 1 && rng.chance(opts.tornWrite)) {
      this.durable.append(next.data.subarray(0, rng.int(1, next.data.length - 1)));
      torn = true;
    }
    const lost = this.ops.length;
    this.opsBase += this.ops.length;
    this.ops = [];
    this.current.buf = this.durable.copy();
    this.current.length = this.durable.length;
    if (this.current.buf.length === 0) this.current.buf = new Uint8Array(64);
    this.epoch++;
    return [lost, torn];
  }
}

export interface DiskStats {
  syncs: number;
  bytesWritten: number;
  crashes: number;
  tornWrites: number;
  lostOps: number;
}

/**
 * An append-only file on a simulated disk, enough for a Raft log or a WAL:
 * `append` and `truncate` are visible to `read` at once but durable only after
 * a `sync` completes (after the disk's fsync latency, on the scheduler).
 */
export class SimFile {
  private readonly epoch: number;

  constructor(
    private readonly state: FileState,
    private readonly scheduler: Scheduler,
    private readonly rng: Prng,
    private readonly opts: ResolvedDiskOptions,
    private readonly stats: DiskStats,
  ) {
    this.epoch = state.epoch;
  }

  get name(): string {
    return this.state.name;
  }

  /** Size as the process sees it, bytes. */
  get size(): number {
    this.check();
    return this.state.current.length;
  }

  /** Size that would survive a crash right now, bytes. */
  get durableSize(): number {
    return this.state.durable.length;
  }

  /** Unsynced operations. */
  get pendingOps(): number {
    return this.state.ops.length;
  }

  /** Appends bytes (copied). Not durable until a later sync completes. */
  append(data: Uint8Array): void {
    this.check();
    if (!(data instanceof Uint8Array)) throw new TypeError('append: data must be a Uint8Array');
    if (this.state.current.length + data.length > this.opts.maxFileSize) {
      throw new RangeError(
        `append: ${this.name} would exceed maxFileSize ${this.opts.maxFileSize}`,
      );
    }
    this.push({ kind: 'append', data: data.slice() });
    this.stats.bytesWritten += data.length;
  }

  /** Cuts the file to `length` bytes (no-op if shorter). Not durable until synced. */
  truncate(length: number): void {
    this.check();
    if (!Number.isSafeInteger(length) || length < 0) {
      throw new RangeError(`truncate: length must be a non-negative integer, got ${length}`);
    }
    this.push({ kind: 'truncate', length });
  }

  /** A copy of the whole file as the process sees it (or the range [start, end)). */
  read(start = 0, end?: number): Uint8Array {
    this.check();
    const len = this.state.current.length;
    const e = end === undefined ? len : Math.min(end, len);
    if (!(start >= 0) || start > e)
      throw new RangeError(`read: bad range ${start}..${String(end)}`);
    return this.state.current.buf.slice(start, e);
  }

  /**
   * Makes everything written so far durable after the fsync latency, then
   * calls `done`. If the node crashes first, `done` never runs and the data
   * gets the crash treatment.
   */
  sync(done?: () => void): void {
    this.check();
    const st = this.state;
    const mark = st.opsBase + st.ops.length;
    const epoch = st.epoch;
    this.stats.syncs++;
    this.scheduler.setTimer(sampleLatency(this.opts.syncLatency, this.rng), () => {
      if (st.epoch !== epoch) return; // crashed meanwhile
      st.persist(mark);
      done?.();
    });
  }

  private push(op: FileOp): void {
    const st = this.state;
    if (st.ops.length >= this.opts.maxPendingOps) {
      throw new RangeError(
        `${this.name}: more than ${this.opts.maxPendingOps} unsynced operations`,
      );
    }
    st.ops.push(op);
    st.current.apply(op);
  }

  private check(): void {
    if (this.state.epoch !== this.epoch) throw new StaleHandleError(`file ${this.name}`);
  }
}
