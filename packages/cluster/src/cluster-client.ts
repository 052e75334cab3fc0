import { type Client, createClient, type ServiceDef } from '@switchyard/core';
import { ClusterRouter, type ClusterRouterOptions } from './cluster-router.js';

const routers = new WeakMap<object, ClusterRouter>();

/**
 * A typed client, the same shape as core's `createClient`, that routes each
 * call itself: to the owner of a keyed call, to the leader of a replicated
 * service, failing over to other members. Learns the cluster from any of
 * `seeds` (nodes' stream-gateway addresses; every node must serve
 * `clusterInfoService`). `routerOf(client)` gives its `ClusterRouter`
 * (close, refresh, stats).
 *
 * ```ts
 * const kv = createClusterClient<typeof kvService>({ seeds: ['127.0.0.1:7001'] });
 * await kv.kv.put({ key: 'a', value: 1 }); // straight to the Raft leader
 * routerOf(kv).close();
 * ```
 */
export function createClusterClient<T extends ServiceDef | readonly ServiceDef[]>(
  options: ClusterRouterOptions,
): Client<T> {
  const router = new ClusterRouter(options);
  const client = createClient<T>(router);
  routers.set(client as object, router);
  return client;
}

/** The router behind a client from `createClusterClient`. */
export function routerOf(client: object): ClusterRouter {
  const router = routers.get(client);
  if (router === undefined)
    throw new TypeError('routerOf(): not a client from createClusterClient');
  return router;
}
