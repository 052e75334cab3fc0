import { join } from 'node:path';
import { open, type RootDatabase } from 'lmdb';
import { FileSnapshotStore } from './file-snapshot-store.js';
import type { LogStore, RaftStorage, StableStore } from './storage.js';
import type { Entry, HardState } from './types.js';

/** Stored entry: [term, kind (0 normal, 1 config), data]. */
type StoredEntry = [number, 0 | 1, Uint8Array];

/**
 * Log and stable store in one LMDB environment. lmdb-js batches every write
 * issued in the same event-loop turn into one transaction, so a Ready's
 * entries and hard state commit atomically; `sync()` awaits `db.flushed`
 * (commit alone resolves before fsync), so durability costs one flush per
 * Ready batch: group commit.
 */
class LmdbLogStore implements LogStore {
  private last = 0;

  constructor(private readonly db: RootDatabase<StoredEntry, number>) {}

  async load(): Promise<Entry[]> {
    const out: Entry[] = [];
    for (const { key, value } of this.db.getRange({})) {
      out.push({
        index: key,
        term: value[0],
        kind: value[1] === 1 ? 'config' : 'normal',
        data: value[2],
      });
    }
    // Keep only the contiguous run; anything else is left over from a crash mid-compaction.
    let start = 0;
    for (let i = 1; i < out.length; i++) {
      if ((out[i]?.index ?? 0) !== (out[i - 1]?.index ?? 0) + 1) start = i;
    }
    const run = out.slice(start);
    this.last = run[run.length - 1]?.index ?? 0;
    return run;
  }

  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    for (const e of entries) this.db.put(e.index, [e.term, e.kind === 'config' ? 1 : 0, e.data]);
    const newLast = first.index + entries.length - 1;
    for (let i = newLast + 1; i <= this.last; i++) this.db.remove(i);
    this.last = newLast;
  }

  compact(index: number): void {
    for (const key of this.db.getKeys({ end: index + 1 })) this.db.remove(key);
  }

  clear(): void {
    for (const key of this.db.getKeys({})) this.db.remove(key);
    this.last = 0;
  }

  async sync(): Promise<void> {
    await this.db.flushed;
  }

  async close(): Promise<void> {}
}

class LmdbStableStore implements StableStore {
  constructor(private readonly db: RootDatabase<HardState, string>) {}

  async load(): Promise<HardState | null> {
    return this.db.get('hs') ?? null;
  }

  save(hardState: HardState): void {
    this.db.put('hs', hardState);
  }

  async sync(): Promise<void> {
    await this.db.flushed;
  }

  async close(): Promise<void> {}
}

export interface LmdbStorageOptions {
  /** Directory for the LMDB environment (`raft.mdb`) and snapshots (`snapshots/`). */
  readonly dir: string;
  /** LMDB map size in bytes. Default 1 GiB. */
  readonly mapSize?: number;
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
  const logDb = root.openDB<StoredEntry, number>({ name: 'log' });
  const stableDb = root.openDB<HardState, string>({ name: 'stable' });
  const snapshots = new FileSnapshotStore(join(options.dir, 'snapshots'));
  return {
    log: new LmdbLogStore(logDb as unknown as RootDatabase<StoredEntry, number>),
    stable: new LmdbStableStore(stableDb as unknown as RootDatabase<HardState, string>),
    snapshots,
    async close() {
      await root.flushed;
      await root.close();
    },
  };
}
