import type { Latency } from './latency.js';

/** How a simulated disk behaves; shared by its files and key-value stores. */
export interface DiskOptions {
  /** Delay between `sync()` and its completion, ms. Default uniform 0.1..2 ms. */
  syncLatency?: Latency;
  /**
   * What a crash keeps of unsynced writes. 'lose-all': nothing. 'random-prefix'
   * (default): a random number of the oldest unsynced writes survive, in order
   * (the OS may have flushed some on its own). Synced data always survives.
   */
  unsyncedOnCrash?: 'lose-all' | 'random-prefix';
  /** Probability that, on a crash, the first lost append is torn (a prefix of it persists). Default 0.5. */
  tornWrite?: number;
  /** Largest size of one file, bytes. Default 64 MiB. */
  maxFileSize?: number;
  /** Most unsynced operations per file or store before writes fail. Default 100,000. */
  maxPendingOps?: number;
}

export interface ResolvedDiskOptions {
  syncLatency: Latency;
  unsyncedOnCrash: 'lose-all' | 'random-prefix';
  tornWrite: number;
  maxFileSize: number;
  maxPendingOps: number;
}

export function resolveDiskOptions(o: DiskOptions = {}): ResolvedDiskOptions {
  const r: ResolvedDiskOptions = {
    syncLatency: o.syncLatency ?? { min: 0.1, max: 2 },
    unsyncedOnCrash: o.unsyncedOnCrash ?? 'random-prefix',
    tornWrite: o.tornWrite ?? 0.5,
    maxFileSize: o.maxFileSize ?? 64 * 1024 * 1024,
    maxPendingOps: o.maxPendingOps ?? 100_000,
  };
  if (!(r.tornWrite >= 0 && r.tornWrite <= 1)) throw new RangeError('tornWrite must be in [0, 1]');
  if (!(r.maxFileSize > 0)) throw new RangeError('maxFileSize must be > 0');
  if (!(r.maxPendingOps > 0)) throw new RangeError('maxPendingOps must be > 0');
  if (r.unsyncedOnCrash !== 'lose-all' && r.unsyncedOnCrash !== 'random-prefix') {
    throw new RangeError(`unsyncedOnCrash: unknown mode ${String(r.unsyncedOnCrash)}`);
  }
  return r;
}

/** Thrown when a handle from before a crash is used: the old process is dead. */
export class StaleHandleError extends Error {
  constructor(what: string) {
    super(`${what}: handle is from before a crash; reopen it from the disk after restart`);
    this.name = 'StaleHandleError';
  }
}
