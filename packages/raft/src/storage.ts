import type { Entry, HardState, SnapshotMeta } from './types.js';

/**
 * The Raft log on disk. Writes are buffered until `sync()` resolves; only then
 * are they durable, and only then may the driver send messages that promise
 * them (see Ready in raft-core.ts).
 */
export interface LogStore {
  /** The stored entries after the last compaction, contiguous (called once at start). */
  load(): Promise<Entry[]>;
  /** Writes `entries`, replacing any stored entry at or after `entries[0].index`. */
  append(entries: readonly Entry[]): void;
  /** Drops entries with index ≤ `index` (a durable snapshot covers them). */
  compact(index: number): void;
  /** Drops every entry (a snapshot from the leader replaced the log). */
  clear(): void;
  /** Resolves once every earlier write is durable (fsync). See SyncOptions. */
  sync(options?: SyncOptions): Promise<void>;
  close(): Promise<void>;
}

export interface SyncOptions {
  /**
   * The caller has nothing else to do until the write is durable (a
   * follower: its acknowledgement waits for it), so the store may flush on
   * the calling thread and spare the hand-offs to a worker thread and back.
   * A leader must not: acknowledgements and reads arrive while it flushes.
   */
  readonly inline?: boolean;
}

/** Term, vote and commit index: a node must never vote twice in a term. */
export interface StableStore {
  load(): Promise<HardState | null>;
  save(hardState: HardState): void;
  /** Resolves once every earlier write is durable. See SyncOptions. */
  sync(options?: SyncOptions): Promise<void>;
  close(): Promise<void>;
}

export interface StoredSnapshot {
  readonly meta: SnapshotMeta;
  readonly data: Uint8Array;
}

/** Snapshots of the state machine; `save` resolves only once the snapshot is durable. */
export interface SnapshotStore {
  latest(): Promise<StoredSnapshot | null>;
  save(meta: SnapshotMeta, data: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export interface RaftStorage {
  readonly log: LogStore;
  readonly stable: StableStore;
  readonly snapshots: SnapshotStore;
}
