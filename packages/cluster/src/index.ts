export { formatHostPort, parseHostPort } from './address.js';
export {
  type ClusterNode,
  type ClusterOptions,
  type ClusterTopology,
  createCluster,
  FORWARDED_BY,
} from './cluster-node.js';
export { runLocally, runsLocally } from './local-selector.js';
export { type MemberStatus, MemberTable, type MemberTableOptions } from './member-table.js';
export { metaOf, type NodeInfo, parseNodeInfo } from './node-info.js';
export { type PlacementSelector, placeBy, placementKey, placementOf } from './placement.js';
export { type RaftGroupOptions, startRaftGroup } from './raft-group.js';
export { hash32, rendezvousOwner, rendezvousRank, rendezvousScore } from './rendezvous.js';
export type { ReplicaNode, ReplicatedGroup } from './replicated-group.js';
