import { type DiskOptions, type ResolvedDiskOptions, resolveDiskOptions } from './disk-options.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';
import { type DiskStats, FileState, SimFile } from './sim-file.js';
import { KvState, SimKv } from './sim-kv.js';

/**
 * One node's disk. Files and key-value stores live here across crashes; a
 * crash drops (or keeps a random prefix of) unsynced writes, may tear the
 * first lost append, and invalidates every open handle. After a restart, open
 * them again to see exactly the durable state.
 */
export class SimDisk {
  private readonly fileStates = new Map<string, FileState>();
  private readonly kvStates = new Map<string, KvState>();
  private readonly opts: ResolvedDiskOptions;
  readonly stats: DiskStats = { syncs: 0, bytesWritten: 0, crashes: 0, tornWrites: 0, lostOps: 0 };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rng: Prng,
    options: DiskOptions = {},
  ) {
    this.opts = resolveDiskOptions(options);
  }

  /** Opens (creating if needed) an append-only file. */
  file(name: string): SimFile {
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('file name must be a non-empty string');
    let st = this.fileStates.get(name);
    if (!st) {
      st = new FileState(name);
      this.fileStates.set(name, st);
    }
    return new SimFile(st, this.scheduler, this.rng, this.opts, this.stats);
  }

  /** Opens (creating if needed) a key-value store. */
  kv<V = unknown>(name: string): SimKv<V> {
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('kv name must be a non-empty string');
    let st = this.kvStates.get(name);
    if (!st) {
      st = new KvState(name);
      this.kvStates.set(name, st);
    }
    return new SimKv<V>(st, this.scheduler, this.rng, this.opts, this.stats);
  }

  /** Names of files, sorted. */
  fileNames(): string[] {
    return [...this.fileStates.keys()].sort();
  }

  /** Names of key-value stores, sorted. */
  kvNames(): string[] {
    return [...this.kvStates.keys()].sort();
  }

  /** Power loss: applies the crash model to every file and store. */
  crash(): void {
    this.stats.crashes++;
    for (const name of this.fileNames()) {
      const [lost, torn] = (this.fileStates.get(name) as FileState).crash(this.rng, this.opts);
      this.stats.lostOps += lost;
      if (torn) this.stats.tornWrites++;
    }
    for (const name of this.kvNames()) {
      this.stats.lostOps += (this.kvStates.get(name) as KvState).crash(this.rng, this.opts);
    }
  }
}
