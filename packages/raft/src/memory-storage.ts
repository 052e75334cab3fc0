import type {
  LogStore,
  RaftStorage,
  SnapshotStore,
  StableStore,
  StoredSnapshot,
} from './storage.js';
import type { Entry, HardState, SnapshotMeta } from './types.js';

/**
 * Storage in process memory: for tests, simulations and nodes whose
 * durability comes from replication alone. Survives `createRaftNode` restarts
 * in the same process when the same object is passed again.
 */
export class MemoryLogStore implements LogStore {
  private entries: Entry[] = [];

  async load(): Promise<Entry[]> {
    return [...this.entries];
  }

  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    const base = this.entries[0]?.index ?? first.index;
    this.entries.length = Math.max(0, Math.min(this.entries.length, first.index - base));
    if (this.entries.length === 0) this.entries = [];
    this.entries.push(...entries);
  }

  compact(index: number): void {
    this.entries = this.entries.filter((e) => e.index > index);
  }

  clear(): void {
    this.entries = [];
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {}
}

export class MemoryStableStore implements StableStore {
  private hs: HardState | null = null;

  async load(): Promise<HardState | null> {
    return this.hs;
  }

  save(hardState: HardState): void {
    this.hs = hardState;
  }

  async sync(): Promise<void> {}

  async close(): Promise<void> {}
}

export class MemorySnapshotStore implements SnapshotStore {
  private snap: StoredSnapshot | null = null;

  async latest(): Promise<StoredSnapshot | null> {
    return this.snap;
  }

  async save(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    if (!this.snap || meta.index > this.snap.meta.index) this.snap = { meta, data: data.slice() };
  }

  async close(): Promise<void> {}
}

export function memoryStorage(): RaftStorage {
  return {
    log: new MemoryLogStore(),
    stable: new MemoryStableStore(),
    snapshots: new MemorySnapshotStore(),
  };
}
