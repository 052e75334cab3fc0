/**
 * Plain data shared by the pure core, the driver and the stores. Everything
 * here is serialisable (numbers, strings, arrays, Uint8Array) so a message or
 * an entry can cross the wire or the disk without adapters.
 */

/** A node's identity; stable across restarts and unique in the cluster. */
export type NodeId = string;

/** `normal` carries an application command (empty data = leader no-op); `config` a ConfChange. */
export type EntryKind = 'normal' | 'config';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly data: Uint8Array;
}

/** What must survive a crash besides the log: a node never votes twice in a term. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/**
 * Cluster membership. During joint consensus `votersOutgoing` is non-empty and
 * every decision needs a majority of both voter sets.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learners: readonly NodeId[];
  /** Voters being demoted: they become learners when the joint config is left. */
  readonly learnersNext: readonly NodeId[];
  /** Leave the joint config automatically once it is applied. */
  readonly autoLeave: boolean;
}

/** Identifies a snapshot; the state machine bytes travel separately (driver/transport). */
export interface SnapshotMeta {
  readonly index: number;
  readonly term: number;
  readonly conf: ConfState;
}

export type MessageType =
  | 'app'
  | 'appResp'
  | 'vote'
  | 'voteResp'
  | 'preVote'
  | 'preVoteResp'
  | 'heartbeat'
  | 'heartbeatResp'
  | 'snap'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResp'
  | 'prop'
  | 'transferLeader';

/**
 * One Raft message. A flat shape (unused fields are zero/empty) keeps encoding
 * cheap and the code free of optional-field juggling.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  /** app: term of the entry at `index`; vote: candidate's last log term; appResp reject: hint term. */
  readonly logTerm: number;
  /** app: index preceding `entries`; appResp: highest matching index (or rejected index); vote: last index; readIndexResp: read index. */
  readonly index: number;
  readonly commit: number;
  readonly entries: readonly Entry[];
  readonly reject: boolean;
  /** appResp reject: the follower's guess of the highest index that may match. */
  readonly rejectHint: number;
  /** ReadIndex request id, or 'transfer' on a vote forced by leader transfer. */
  readonly context: string;
  readonly snapshot: SnapshotMeta | null;
}

/** The result of a ReadIndex request: once applied ≥ index, a read may be served. */
export interface ReadState {
  readonly index: number;
  readonly context: string;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/** One membership step; see conf-change.ts for the rules. */
export interface ConfChangeItem {
  readonly type: 'addVoter' | 'addLearner' | 'removeNode';
  readonly node: NodeId;
  /** Where the node listens (opaque to the core; transports learn it when the change applies). */
  readonly address?: string;
}

/**
 * A membership change. One item (or one voter change) is applied directly;
 * several items, or `transition: 'joint'`, go through joint consensus. An empty
 * `changes` list while in a joint config leaves it.
 */
export interface ConfChange {
  readonly changes: readonly ConfChangeItem[];
  /** 'auto' (default): joint only when needed, left automatically; 'joint': stay joint until an explicit leave. */
  readonly transition?: 'auto' | 'joint';
}
