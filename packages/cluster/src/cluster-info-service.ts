import { method, rest, service } from '@switchyard/core';
import type { ClusterInfo } from './cluster-info.js';

/** The RPC name cluster-aware clients ask any node for routing information. */
export const CLUSTER_INFO_METHOD = 'cluster.info';

/**
 * The service every node serves so cluster-aware clients can route by
 * themselves: `cluster.info` (RPC) and `GET /cluster` (REST) answer with this
 * node's view. Not keyed and not replicated: it runs wherever it arrives.
 */
export function clusterInfoService(cluster: { info(): ClusterInfo }) {
  return service('cluster', {
    info: method<void, ClusterInfo>({
      selectors: [rest('GET', '/cluster')],
      idempotent: true,
      handler: () => cluster.info(),
    }),
  });
}
