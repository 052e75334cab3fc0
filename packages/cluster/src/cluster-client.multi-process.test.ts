import { createEdge, type Edge, silentLogger, streamGateway } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/stream';
import { listen } from '@switchyard/tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../test/in-process-cluster.js';
import { acctServices } from '../test/node-services.js';
import { type ChildNode, exited, killHard, spawnNode } from '../test/spawn-node.js';
import { createClusterClient, routerOf } from './cluster-client.js';
import { type ClusterNode, createCluster } from './cluster-node.js';
import { rendezvousOwner } from './rendezvous.js';

type Acct = ReturnType<typeof acctServices>[0];

/**
 * Three real processes (p1..p3) plus one node in this process (t0), so this
 * process can relay streams to an owner and watch it die. Owners are
 * SIGKILLed: no goodbye, the connection just breaks.
 */
describe('crashes under a cluster-aware client and under forwarded streams', () => {
  const nodes: ChildNode[] = [];
  let local: { edge: Edge; cluster: ClusterNode } | undefined;

  beforeAll(async () => {
    try {
      const first = await spawnNode('p1', undefined);
      nodes.push(first);
      nodes.push(
        ...(await Promise.all([spawnNode('p2', first.cluster), spawnNode('p3', first.cluster)])),
      );
      const tcp = await listen({ host: '127.0.0.1', port: 0 });
      const cluster = createCluster({
        nodeId: 't0',
        seeds: [first.cluster],
        syncInterval: 100,
        suspectAfter: 600,
        deadAfter: 1200,
        gateways: { tcp: `127.0.0.1:${tcp.address.port}` },
      });
      const edge = createEdge({
        services: [...acctServices('t0', cluster)],
        gateways: [streamGateway(tcp)],
        cluster,
        logger: silentLogger,
      });
      await edge.start();
      local = { edge, cluster };
      await waitFor(
        () => cluster.members().filter((m) => m.status === 'alive').length === 4,
        10_000,
        'four members',
      );
    } catch (error) {
      killHard(nodes);
      throw error;
    }
  }, 60_000);

  afterAll(async () => {
    await local?.edge.shutdown({ timeout: 2000 });
    killHard(nodes);
    await Promise.all(nodes.map((n) => exited(n.child)));
  });

  it('owner crash mid-stream: forwarded client-stream and bidi calls fail UNAVAILABLE', async () => {
    const cluster = local?.cluster as ClusterNode;
    const endless = async function* (): AsyncGenerator<number> {
      for (let i = 1; ; i++) {
        await new Promise((r) => setTimeout(r, 10));
        yield i;
      }
    };
    const request = (method: string) => ({
      method,
      input: undefined,
      inputStream: endless(),
      metadata: { acct: 'stream-crash' },
      deadline: performance.now() + 10_000,
    });
    const tally = cluster.forward('p2', request('acct.tally')).catch((e: unknown) => e);
    const echo = (async () => {
      const replies = (await cluster.forward('p2', request('acct.echo'))) as AsyncIterable<string>;
      let n = 0;
      for await (const _ of replies) n++;
      return n;
    })().catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    const victim = nodes[1] as ChildNode;
    victim.child.kill('SIGKILL');
    for (const outcome of [await tally, await echo]) {
      expect(outcome).toBeInstanceOf(SwitchyardError);
      expect((outcome as SwitchyardError).code).toBe('UNAVAILABLE');
    }
    await exited(victim.child);
  }, 20_000);

  it('the client survives an owner crash: in-flight idempotent calls retried, the rest fail cleanly, new calls go to the next owner', async () => {
    const p1 = nodes[0] as ChildNode;
    const client = createClusterClient<Acct>({
      seeds: [`127.0.0.1:${p1.tcp}`],
      refreshInterval: 100,
    });
    const router = routerOf(client);
    try {
      await waitFor(
        () => router.cluster?.live.includes('p2') === false,
        10_000,
        'p2 (killed before) out of the view',
      );
      const live = ['p1', 'p3', 't0'];
      const survivors = ['p1', 't0'];
      const key = Array.from({ length: 100 }, (_, i) => `c-${i}`).find(
        (k) => rendezvousOwner(k, live) === 'p3',
      ) as string;
      const write = client.acct.slowWrite({ id: key, ms: 3000 }).catch((e: unknown) => e);
      const read = client.acct.slowRead({ id: key, ms: 300 });
      await new Promise((r) => setTimeout(r, 150));
      const victim = nodes[2] as ChildNode;
      victim.child.kill('SIGKILL');
      const err = await write;
      expect(err).toBeInstanceOf(SwitchyardError);
      expect((err as SwitchyardError).code).toBe('UNAVAILABLE');
      expect(await read).toBe(rendezvousOwner(key, survivors));
      // Every key keeps working at once, the dead owner's included.
      for (let i = 0; i < 20; i++) {
        const k = `after-${i}`;
        expect(typeof (await client.acct.whoOwns({ id: k })).node).toBe('string');
      }
      await exited(victim.child);
      // Once the members agree p3 is dead, the client goes straight to the new owners.
      const sameSet = (ids: readonly string[] | undefined): boolean =>
        [...(ids ?? [])].sort().join() === survivors.join();
      await waitFor(
        () => sameSet(router.cluster?.live) && sameSet(local?.cluster.info().live),
        10_000,
        'p3 dead in every view',
      );
      for (let i = 0; i < 20; i++) {
        const k = `after-${i}`;
        const r = await client.acct.whoOwns({ id: k });
        expect(r.node).toBe(rendezvousOwner(k, survivors));
        expect(r.forwardedBy).toBeNull();
      }
    } finally {
      router.close();
    }
  }, 30_000);
});
