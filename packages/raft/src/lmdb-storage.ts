import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { FileSnapshotStore } from './file-snapshot-store.js';
import { LmdbState } from './lmdb-state.js';
import type { LogStore, RaftStorage, StableStore } from './storage.js';
import type { Entry, HardState } from './types.js';
import { WalFrontedLmdb, type WalOptions } from './wal-storage.js';

export interface LmdbStorageOptions {
  /** Directory for the LMDB environment (`raft.mdb`), the WAL (`wal/`) and snapshots (`snapshots/`). */
  readonly dir: string;
  /** LMDB map size in bytes. Default 1 GiB. */
  readonly mapSize?: number;
  /**
   * What a durable write waits for.
   * - `'wal'` (default): one fdatasync of a write-ahead log; LMDB is
   *   checkpointed from the WAL in the background (see wal-storage.ts).
   * - `'lmdb'`: `await db.flushed` on every write: an LMDB commit, which costs
   *   two device flushes (data pages, then the meta page).
   */
  readonly durability?: 'wal' | 'lmdb';
  /** WAL tuning (`durability: 'wal'` only). */
  readonly wal?: WalOptions;
}

export interface LmdbStorage extends RaftStorage {
  close(): Promise<void>;
}

/** Durable storage: LMDB for the log and hard state, files for snapshots. */
export function lmdbStorage(options: LmdbStorageOptions): LmdbStorage {
  const root = open<unknown, string>({
    path: join(options.dir, 'raft.mdb'),
    mapSize: options.mapSize ?? 1 << 30,
    // Values are written once and read at restart: compression would only cost CPU.
    compression: false,
  });
  const state = new LmdbState(
    root,
    root.openDB({ name: 'log' }) as unknown as RootDatabase<never, number>,
    root.openDB({ name: 'stable' }) as unknown as RootDatabase<never, string>,
  );
  const snapshots = new FileSnapshotStore(join(options.dir, 'snapshots'));
  if ((options.durability ?? 'wal') === 'wal') {
    const fronted = new WalFrontedLmdb(state, join(options.dir, 'wal'), options.wal);
    return { log: fronted.log, stable: fronted.stable, snapshots, close: () => fronted.close() };
  }
  return {
    log: new FlushedLogStore(state),
    stable: new FlushedStableStore(state),
    snapshots,
    close: () => state.close(),
  };
}

/**
 * `durability: 'lmdb'`: writes go straight to LMDB; lmdb-js batches every
 * write issued in one event-loop turn into one transaction, so a Ready's
 * entries and hard state commit atomically, and `sync()` awaits `db.flushed`
 * (group commit: one flush per Ready batch).
 */
class FlushedLogStore implements LogStore {
  constructor(private readonly state: LmdbState) {}

  async load(): Promise<Entry[]> {
    return this.state.readEntries();
  }

  append(entries: readonly Entry[]): void {
    this.state.append(entries);
  }

  compact(index: number): void {
    this.state.compact(index);
  }

  clear(): void {
    this.state.clear();
  }

  sync(): Promise<void> {
    return this.state.flushed();
  }

  // RaftNode.close() closes its stores: either one closes the environment.
  close(): Promise<void> {
    return this.state.close();
  }
}

class FlushedStableStore implements StableStore {
  constructor(private readonly state: LmdbState) {}

  async load(): Promise<HardState | null> {
    return this.state.readHardState();
  }

  save(hardState: HardState): void {
    this.state.saveHardState(hardState);
  }

  sync(): Promise<void> {
    return this.state.flushed();
  }

  close(): Promise<void> {
    return this.state.close();
  }
}
