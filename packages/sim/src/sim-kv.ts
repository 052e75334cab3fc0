import { type ResolvedDiskOptions, StaleHandleError } from './disk-options.js';
import { sampleLatency } from './latency.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import type { DiskStats } from './sim-file.js';

type KvOp = { key: string; value: unknown; del: boolean };

/** Shared state of one key-value store on a simulated disk; survives crashes. */
export class KvState {
  current = new Map<string, unknown>();
  durable = new Map<string, unknown>();
  ops: KvOp[] = [];
  opsBase = 0;
  epoch = 0;

  constructor(readonly name: string) {}

  persist(upTo: number): void {
    const n = upTo - this.opsBase;
    if (n <= 0) return;
    for (let i = 0; i < n; i++) {
      const op = this.ops[i] as KvOp;
      if (op.del) this.durable.delete(op.key);
      else this.durable.set(op.key, op.value);
    }
    this.ops = this.ops.slice(n);
    this.opsBase = upTo;
  }

  /** Applies the crash model (each write is atomic: no tearing). Returns lost ops. */
  crash(rng: Prng, opts: ResolvedDiskOptions): number {
    const pending = this.ops.length;
    const keep = opts.unsyncedOnCrash === 'random-prefix' && pending > 0 ? rng.int(0, pending) : 0;
    this.persist(this.opsBase + keep);
    const lost = this.ops.length;
    this.opsBase += lost;
    this.ops = [];
    this.current = new Map(this.durable);
    this.epoch++;
    return lost;
  }
}

/**
 * A key-value store on a simulated disk, enough for a Raft stable store
 * (term, vote). Values are structured-cloned on the way in and out so callers
 * cannot mutate stored state by reference.
 */
export class SimKv<V = unknown> {
  private readonly epoch: number;

  constructor(
    private readonly state: KvState,
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

  get(key: string): V | undefined {
    this.check();
    const v = this.state.current.get(key);
    return v === undefined ? undefined : (structuredClone(v) as V);
  }

  has(key: string): boolean {
    this.check();
    return this.state.current.has(key);
  }

  keys(): string[] {
    this.check();
    return [...this.state.current.keys()].sort();
  }

  put(key: string, value: V): void {
    if (value === undefined) throw new TypeError('put: value must not be undefined (use delete)');
    this.push({ key, value: structuredClone(value), del: false });
  }

  delete(key: string): void {
    this.push({ key, value: undefined, del: true });
  }

  /** Unsynced operations. */
  get pendingOps(): number {
    return this.state.ops.length;
  }

  /** Makes every write so far durable after the fsync latency, then calls `done`. */
  sync(done?: () => void): void {
    this.check();
    const st = this.state;
    const mark = st.opsBase + st.ops.length;
    const epoch = st.epoch;
    this.stats.syncs++;
    this.scheduler.setTimer(sampleLatency(this.opts.syncLatency, this.rng), () => {
      if (st.epoch !== epoch) return;
      st.persist(mark);
      done?.();
    });
  }

  private push(op: KvOp): void {
    this.check();
    if (typeof op.key !== 'string') throw new TypeError('kv key must be a string');
    const st = this.state;
    if (st.ops.length >= this.opts.maxPendingOps) {
      throw new RangeError(
        `${this.name}: more than ${this.opts.maxPendingOps} unsynced operations`,
      );
    }
    st.ops.push(op);
    if (op.del) st.current.delete(op.key);
    else st.current.set(op.key, op.value);
    this.stats.bytesWritten += op.key.length;
  }

  private check(): void {
    if (this.state.epoch !== this.epoch) throw new StaleHandleError(`kv ${this.name}`);
  }
}
