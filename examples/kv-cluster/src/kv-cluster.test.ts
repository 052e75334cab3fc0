import { createClusterClient, routerOf } from '@switchyard/cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KvService } from './kv-node.js';
import { type KvCluster, launchKvCluster } from './launch.js';

describe('kv-cluster example', () => {
  let cluster: KvCluster | undefined;
  beforeAll(async () => {
    cluster = await launchKvCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('a write through any node is read back through every other, served by the leader', async () => {
    const nodes = cluster?.nodes ?? [];
    for (const [i, n] of nodes.entries()) {
      const res = await fetch(`http://${n.http}/kv/key${i}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value: `v${i}` }),
      });
      expect(res.status).toBe(200);
    }
    const servedBy = new Set<string>();
    for (const n of nodes) {
      for (let i = 0; i < nodes.length; i++) {
        const r = (await (await fetch(`http://${n.http}/kv/key${i}`)).json()) as {
          value: unknown;
          servedBy: string;
        };
        expect(r.value).toBe(`v${i}`);
        servedBy.add(r.servedBy);
      }
    }
    expect(servedBy.size).toBe(1);
  });

  it('rejects a bad key with 400', async () => {
    const n = cluster?.nodes[0];
    const res = await fetch(`http://${n?.http}/kv/${encodeURIComponent('bad key!')}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('INVALID_ARGUMENT');
  });

  it('the cluster-aware client finds the leader and follows it after the leader is killed', async () => {
    const nodes = cluster?.nodes ?? [];
    const client = createClusterClient<KvService>({ seeds: nodes.map((n) => n.tcp) });
    const router = routerOf(client);
    await client.kv.put({ key: 'c', value: 1 });
    const first = router.leaderOf('kv');
    expect(first).toMatch(/^n\d$/);
    nodes.find((n) => n.id === first)?.child.kill('SIGKILL');
    // The kill loses nothing acknowledged: the value is still there, read at the new leader.
    const r = await client.kv.get({ key: 'c' });
    expect(r.value).toBe(1);
    expect(r.servedBy).not.toBe(first);
    // The client learned the new leader and goes there directly.
    expect(router.leaderOf('kv')).toBe(r.servedBy);
    router.close();
  }, 30_000);
});

describe('kv-cluster rolling restart', () => {
  let cluster: KvCluster | undefined;
  beforeAll(async () => {
    cluster = await launchKvCluster();
  }, 60_000);
  afterAll(async () => {
    await cluster?.stop();
  });

  it('restarting every node in turn under writes loses no acknowledged write', async () => {
    const c = cluster as KvCluster;
    const client = createClusterClient<KvService>({ seeds: c.nodes.map((n) => n.tcp) });
    const acked = new Map<string, number>();
    const tried = new Map<string, Set<number>>();
    let stop = false;
    let n = 0;
    const writer = (async () => {
      while (!stop) {
        const key = `r${n % 20}`;
        const value = n++;
        let set = tried.get(key);
        if (set === undefined) tried.set(key, (set = new Set()));
        set.add(value);
        try {
          await client.kv.put({ key, value });
          acked.set(key, value);
        } catch {
          // Unacknowledged: may or may not have happened; not counted.
        }
      }
    })();
    for (const node of c.nodes.map((x) => x.id)) await c.restart(node);
    stop = true;
    await writer;
    expect(acked.size).toBe(20);
    // One writer, in order: a read returns the last acknowledged value, or a later
    // write to the key whose acknowledgement was lost (it may have happened) — never an older one.
    for (const [key, value] of acked) {
      const r = (await client.kv.get({ key })) as { value: number };
      const ok = r.value === value || (r.value > value && tried.get(key)?.has(r.value) === true);
      expect(ok, `${key}: read ${r.value}, last acknowledged ${value}`).toBe(true);
    }
    routerOf(client).close();
  }, 90_000);
});
