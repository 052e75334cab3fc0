import {
  createEdge,
  type Edge,
  type ServiceDef,
  silentLogger,
  streamGateway,
} from '@switchyard/core';
import { listen } from '@switchyard/tcp';
import { type ClusterNode, type ClusterOptions, createCluster } from '../src/index.js';

export interface TestNode {
  id: string;
  edge: Edge;
  cluster: ClusterNode;
  /** "host:port" of the node's public stream gateway. */
  gateway: { host: string; port: number };
}

/**
 * Starts `ids.length` edges in this process, each with a TCP stream gateway
 * and a cluster node seeded with the first one, and waits until every node
 * sees every other alive.
 */
export async function startNodes(
  ids: readonly string[],
  services: (id: string, cluster: ClusterNode) => readonly ServiceDef[],
  extra: Partial<ClusterOptions> | ((id: string) => Partial<ClusterOptions>) = {},
): Promise<TestNode[]> {
  const nodes: TestNode[] = [];
  let seed: string | undefined;
  for (const id of ids) {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const cluster = createCluster({
      nodeId: id,
      syncInterval: 50,
      suspectAfter: 400,
      deadAfter: 800,
      gateways: { tcp: `127.0.0.1:${listener.address.port ?? 0}` },
      ...(seed ? { seeds: [seed] } : {}),
      ...(typeof extra === 'function' ? extra(id) : extra),
    });
    const edge = createEdge({
      services: [...services(id, cluster)],
      gateways: [streamGateway(listener)],
      cluster,
      logger: silentLogger,
    });
    await edge.start();
    seed ??= cluster.address;
    nodes.push({
      id,
      edge,
      cluster,
      gateway: { host: '127.0.0.1', port: listener.address.port ?? 0 },
    });
  }
  await waitFor(() => nodes.every((n) => aliveCount(n.cluster) === ids.length), 5000, 'membership');
  return nodes;
}

export function aliveCount(c: ClusterNode): number {
  return c.members().filter((m) => m.status === 'alive').length;
}

export async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function stopNodes(nodes: readonly TestNode[]): Promise<void> {
  await Promise.allSettled(nodes.map((n) => n.edge.shutdown({ timeout: 2000 })));
}
