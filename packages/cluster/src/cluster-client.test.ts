import { createClient, method, SwitchyardError, service } from '@switchyard/core';
import { connectSession } from '@switchyard/tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodes, stopNodes, type TestNode, waitFor } from '../test/in-process-cluster.js';
import { acctServices } from '../test/node-services.js';
import { createClusterClient, routerOf } from './cluster-client.js';
import { rendezvousOwner } from './rendezvous.js';
import type { ReplicaNode } from './replicated-group.js';

const IDS = ['n1', 'n2', 'n3'];

/**
 * A stand-in Raft group: `truth` is who really leads; each node's `view`
 * may lag behind it, as a deposed leader's does. A node that is not the
 * leader refuses with NOT_LEADER naming the one it knows.
 */
const truth = { leader: 'n1' as string | null };
const views: Record<string, string | null> = { n1: 'n1', n2: 'n1', n3: 'n1' };
function replica(id: string): ReplicaNode {
  return {
    get leader() {
      return views[id] ?? null;
    },
    get isLeader() {
      return views[id] === id;
    },
    transferLeadership: async () => {},
    close: async () => {},
  };
}

function kvService(id: string) {
  return service('kv', {
    put: method<{ key: string; value: number }, { servedBy: string }>({
      handler: () => {
        if (truth.leader !== id) {
          throw new SwitchyardError('NOT_LEADER', `${id} is not the leader`, {
            data: { leaderHint: truth.leader },
          });
        }
        return { servedBy: id };
      },
    }),
  });
}

type Services = [ReturnType<typeof acctServices>[0], ReturnType<typeof kvService>];

describe('the cluster-aware client', () => {
  let nodes: TestNode[] = [];
  const forwarded = (): number => nodes.reduce((sum, n) => sum + n.cluster.stats().forwardedOut, 0);

  beforeAll(async () => {
    nodes = await startNodes(
      IDS,
      (id, cluster) => [...acctServices(id, cluster), kvService(id)],
      (id) => ({ groups: [{ name: 'kv', node: replica(id), services: ['kv'] }] }),
    );
  });
  afterAll(() => stopNodes(nodes));

  const seedOf = (n: TestNode | undefined): string => `127.0.0.1:${n?.gateway.port}`;

  it('learns the cluster from one seed and sends keyed calls to the owner: no forwarding hop', async () => {
    const client = createClusterClient<Services>({ seeds: [seedOf(nodes[0])] });
    try {
      const before = forwarded();
      for (let i = 0; i < 30; i++) {
        const key = `acct-${i}`;
        const r = await client.acct.whoOwns({ id: key });
        expect(r.node).toBe(rendezvousOwner(key, IDS));
        expect(r.forwardedBy).toBeNull();
      }
      expect(forwarded()).toBe(before);
      expect(routerOf(client).cluster?.live).toEqual(IDS);
      // The same calls through one node's plain session do take the hop (the counter works).
      const plain = await connectSession(nodes[0]?.gateway ?? { port: 0 }, { keepalive: false });
      for (let i = 0; i < 30; i++) await plain.call('acct.whoOwns', { id: `acct-${i}` });
      plain.close();
      expect(forwarded()).toBeGreaterThan(before);
    } finally {
      routerOf(client).close();
    }
  });

  it('routes client-stream and bidi calls by their metadata key to the owner', async () => {
    const client = createClusterClient<Services>({ seeds: [seedOf(nodes[1])] });
    try {
      const before = forwarded();
      for (const key of ['a', 'b', 'c', 'd']) {
        const tally = client.acct.tally.open({ metadata: { acct: key } });
        for (const v of [1, 2, 3]) await tally.send(v);
        tally.end();
        expect(await tally.result).toEqual({
          node: rendezvousOwner(key, IDS),
          sum: 6,
          count: 3,
        });
        const echo = client.acct.echo.open({ metadata: { acct: key } });
        await echo.send('hi');
        echo.end();
        const got: string[] = [];
        for await (const r of echo) got.push(r);
        expect(got).toEqual([`${rendezvousOwner(key, IDS)}:hi`]);
      }
      expect(forwarded()).toBe(before);
    } finally {
      routerOf(client).close();
    }
  });

  it('a node that is not the owner forwards client-stream and bidi calls through its edge', async () => {
    const plain = await connectSession(nodes[0]?.gateway ?? { port: 0 }, { keepalive: false });
    const client = createClient<Services>(plain);
    try {
      // Keys owned elsewhere than n1, so every call below takes the forward hop.
      const keys = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].filter(
        (k) => rendezvousOwner(k, IDS) !== 'n1',
      );
      expect(keys.length).toBeGreaterThan(0);
      const before = forwarded();
      for (const key of keys) {
        const tally = client.acct.tally.open({ metadata: { acct: key } });
        for (const v of [4, 5]) await tally.send(v);
        tally.end();
        expect(await tally.result).toEqual({ node: rendezvousOwner(key, IDS), sum: 9, count: 2 });
        const echo = client.acct.echo.open({ metadata: { acct: key } });
        await echo.send('x');
        await echo.send('y');
        echo.end();
        const got: string[] = [];
        for await (const r of echo) got.push(r);
        const owner = rendezvousOwner(key, IDS);
        expect(got).toEqual([`${owner}:x`, `${owner}:y`]);
      }
      expect(forwarded()).toBe(before + 2 * keys.length);
    } finally {
      plain.close();
    }
  });

  it('sends replicated calls to the leader, and follows the leader when it moves', async () => {
    const client = createClusterClient<Services>({
      seeds: [seedOf(nodes[2])],
      refreshInterval: 50,
    });
    const router = routerOf(client);
    try {
      const before = forwarded();
      expect((await client.kv.put({ key: 'x', value: 1 })).servedBy).toBe('n1');
      expect(forwarded()).toBe(before);

      // A failover every node has seen: the client learns it from cluster.info.
      truth.leader = 'n2';
      for (const id of IDS) views[id] = 'n2';
      await waitFor(() => router.leaderOf('kv') === 'n2', 5000, 'client learns n2');
      const mid = forwarded();
      expect((await client.kv.put({ key: 'x', value: 2 })).servedBy).toBe('n2');
      expect(forwarded()).toBe(mid);

      // A failover only the new leader knows: the client, sent to the deposed
      // n2 (which still believes in itself), follows its NOT_LEADER hint at once.
      truth.leader = 'n3';
      views.n3 = 'n3';
      const retries = router.stats.retries;
      expect((await client.kv.put({ key: 'x', value: 3 })).servedBy).toBe('n3');
      expect(router.leaderOf('kv')).toBe('n3');
      expect(router.stats.retries).toBe(retries + 1);
    } finally {
      router.close();
      truth.leader = 'n1';
      for (const id of IDS) views[id] = 'n1';
    }
  });

  it('fails cleanly when no seed answers', async () => {
    const client = createClusterClient<Services>({ seeds: ['127.0.0.1:1'], connectTimeout: 200 });
    try {
      const err = await client.acct.whoOwns({ id: 'x' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SwitchyardError);
      expect((err as SwitchyardError).code).toBe('UNAVAILABLE');
    } finally {
      routerOf(client).close();
    }
  });
});
