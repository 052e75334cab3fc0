export { formatHostPort, parseHostPort } from './address.js';
export { clientRoute } from './client-route.js';
export { createClusterClient, routerOf } from './cluster-client.js';
export {
  type ClusterInfo,
  type ClusterStats,
  type MethodRouting,
  parseClusterInfo,
} from './cluster-info.js';
export { CLUSTER_INFO_METHOD, clusterInfoService } from './cluster-info-service.js';
export {
  type ClusterNode,
  type ClusterOptions,
  type ClusterTopology,
  createCluster,
  FORWARDED_BY,
} from './cluster-node.js';
export {
  ClusterRouter,
  type ClusterRouterOptions,
  type ClusterRouterStats,
} from './cluster-router.js';
export {
  type FailedAttempt,
  failureOf,
  firstTarget,
  isSafeToRepeat,
  type RetryContext,
  type Route,
  retryTarget,
} from './forward-decision.js';
export { runLocally, runsLocally } from './local-selector.js';
export { type MemberStatus, MemberTable, type MemberTableOptions } from './member-table.js';
export { metaOf, type NodeInfo, parseNodeInfo } from './node-info.js';
export { type PlacementSelector, placeBy, placementKey, placementOf } from './placement.js';
export { type RaftGroupOptions, startRaftGroup } from './raft-group.js';
export { hash32, rendezvousOwner, rendezvousRank, rendezvousScore } from './rendezvous.js';
export type { ReplicaNode, ReplicatedGroup } from './replicated-group.js';
