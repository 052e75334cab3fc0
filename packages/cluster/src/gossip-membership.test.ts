import { createEdge, method, service, silentLogger, streamGateway } from '@switchyard/core';
import { connectSession, listen } from '@switchyard/tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aliveCount, stopNodes, type TestNode, waitFor } from '../test/in-process-cluster.js';
import { createCluster } from './cluster-node.js';
import { decodeNodeInfo, encodeNodeInfo } from './gossip-view.js';
import { placeBy } from './placement.js';
import { rendezvousOwner } from './rendezvous.js';

const svc = (id: string) =>
  service('acct', {
    whoOwns: method<{ id: string }, string>({ selectors: [placeBy('id')], handler: () => id }),
  });

describe('membership from @switchyard/gossip', () => {
  const nodes: TestNode[] = [];
  beforeAll(async () => {
    let seed: string | undefined;
    for (const id of ['g1', 'g2', 'g3']) {
      const tcp = await listen({ host: '127.0.0.1', port: 0 });
      const cluster = createCluster({
        nodeId: id,
        gossip: {
          profile: 'local',
          config: { probeIntervalMs: 200, probeTimeoutMs: 100, gossipIntervalMs: 50 },
          ...(seed ? { seeds: [seed] } : {}),
        },
      });
      const edge = createEdge({
        services: [svc(id)],
        gateways: [streamGateway(tcp)],
        cluster,
        logger: silentLogger,
      });
      await edge.start();
      seed ??= cluster.gossipAddress;
      nodes.push({
        id,
        edge,
        cluster,
        gateway: { host: '127.0.0.1', port: tcp.address.port ?? 0 },
      });
    }
    await waitFor(
      () => nodes.every((n) => aliveCount(n.cluster) === 3),
      10_000,
      'gossip membership',
    );
  });
  afterAll(async () => {
    await stopNodes(nodes);
  });

  it('carries NodeInfo as gossip metadata and rejects garbage', () => {
    const info = { id: 'a', stream: '127.0.0.1:1', gateways: {}, groups: ['kv'], incarnation: 1 };
    expect(decodeNodeInfo(encodeNodeInfo(info))).toEqual(info);
    expect(decodeNodeInfo(new TextEncoder().encode('{nope'))).toBeUndefined();
  });

  it('every node sees the others with their inter-node address', () => {
    for (const n of nodes) {
      for (const m of n.cluster.members()) expect(m.meta?.stream).toMatch(/^127\.0\.0\.1:\d+$/);
    }
  });

  it('forwards to the owner computed over the gossip members', async () => {
    const s = await connectSession((nodes[1] as TestNode).gateway, { keepalive: false });
    for (let i = 0; i < 10; i++) {
      expect(await s.call('acct.whoOwns', { id: `u${i}` })).toBe(
        rendezvousOwner(`u${i}`, ['g1', 'g2', 'g3']),
      );
    }
    s.close();
  });

  it('a graceful leave is gossiped and placement moves to the survivors', async () => {
    const leaver = nodes.pop() as TestNode;
    await leaver.cluster.handoff({ timeout: 1000 });
    await leaver.edge.shutdown({ timeout: 1000 });
    await waitFor(
      () => nodes.every((n) => n.cluster.members().find((m) => m.id === 'g3')?.status === 'left'),
      5000,
      'g3 left',
    );
    const s = await connectSession((nodes[0] as TestNode).gateway, { keepalive: false });
    for (let i = 0; i < 10; i++) {
      expect(await s.call('acct.whoOwns', { id: `u${i}` })).toBe(
        rendezvousOwner(`u${i}`, ['g1', 'g2']),
      );
    }
    s.close();
  });
});
