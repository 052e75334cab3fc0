export {
  applyConfChange,
  ConfChangeError,
  decodeConfChange,
  emptyConfState,
  encodeConfChange,
  isJoint,
  isVoter,
} from './conf-change.js';
export { FileSnapshotStore } from './file-snapshot-store.js';
export { type KvCommand, KvStateMachine } from './kv-state-machine.js';
export { type LmdbStorage, type LmdbStorageOptions, lmdbStorage } from './lmdb-storage.js';
export {
  MemoryLogStore,
  MemorySnapshotStore,
  MemoryStableStore,
  memoryStorage,
} from './memory-storage.js';
export { MemoryNetwork } from './memory-transport.js';
export { Inflights, Progress, type ProgressState } from './progress.js';
export {
  type ProposeResult,
  RaftCore,
  type RaftCoreOptions,
  type RaftRestoreState,
  type RaftStatus,
  type Ready,
} from './raft-core.js';
export { RaftInvariantError, RaftLog } from './raft-log.js';
export {
  createRaftNode,
  RaftNode,
  type RaftNodeEvents,
  type RaftNodeOptions,
  type RaftNodeStatus,
  type ReadConsistency,
  type StateMachine,
} from './raft-node.js';
export type {
  LogStore,
  RaftStorage,
  SnapshotStore,
  StableStore,
  StoredSnapshot,
  SyncOptions,
} from './storage.js';
export { createTcpTransport, TcpTransport, type TcpTransportOptions } from './tcp-transport.js';
export type { ForwardReply, Transport, TransportHandler } from './transport.js';
export type {
  ConfChange,
  ConfChangeItem,
  ConfState,
  Entry,
  EntryKind,
  HardState,
  Message,
  MessageType,
  NodeId,
  ReadState,
  Role,
  SnapshotMeta,
  SoftState,
} from './types.js';
export type { WalOptions } from './wal-storage.js';
