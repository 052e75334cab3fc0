/**
 * The slice of a Raft node the cluster needs (a `RaftNode` from
 * @switchyard/raft fits as is). Structural, so tests and simulations can
 * stand in a fake.
 */
export interface ReplicaNode {
  /** The current leader's id (the cluster node id of the same process), or null. */
  readonly leader: string | null;
  readonly isLeader: boolean;
  transferLeadership(target?: string, options?: { timeout?: number }): Promise<void>;
  close(): Promise<void>;
}

/**
 * A Raft group backing one or more services. Every method of those services
 * runs on the group's leader: a call arriving at a follower is forwarded
 * there, a NOT_LEADER answer from a stale leader is retried at the leader it
 * names. Raft node ids must equal cluster node ids.
 */
export interface ReplicatedGroup {
  readonly name: string;
  readonly node: ReplicaNode;
  /** Service names whose calls go to this group's leader. */
  readonly services: readonly string[];
}
