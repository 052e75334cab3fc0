/**
 * `pnpm --filter @switchyard/cluster bench`
 * 1. A keyed call answered by the node it reached (local) vs forwarded to its
 *    owner over the inter-node connection: latency one at a time, throughput
 *    with 64 in flight. Target: forwarding adds at most one local round trip
 *    (forwarded/local latency ratio ≤ 2).
 * 2. Key-value throughput of a three-node Raft cluster (LMDB, durable) with
 *    writes sent to all nodes (followers forward to the leader), and with
 *    the cluster-aware client (`createClusterClient`: straight to the leader).
 * All nodes run in this process on 127.0.0.1 TCP: figures include loopback,
 * both stream sessions and the codecs; compare ratios, not absolutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createEdge,
  type Edge,
  method,
  service,
  silentLogger,
  streamGateway,
} from '@switchyard/core';
import { type KvCommand, KvStateMachine } from '@switchyard/raft';
import type { Session } from '@switchyard/stream';
import { connectSession, listen } from '@switchyard/tcp';
import {
  type ClusterNode,
  clusterInfoService,
  createCluster,
  createClusterClient,
  placeBy,
  rendezvousOwner,
  routerOf,
  startRaftGroup,
} from '../src/index.js';
import { startNodes, stopNodes, waitFor } from '../test/in-process-cluster.js';

const SERIAL = Number(process.env.BENCH_SERIAL ?? 3000);
const PARALLEL_MS = Number(process.env.BENCH_MS ?? 2000);
const DEPTH = 64;

interface Result {
  name: string;
  value: number;
  unit: string;
}
const results: Result[] = [];

async function serialLatencyUs(
  s: Session,
  method: string,
  input: unknown,
  n: number,
): Promise<number> {
  for (let i = 0; i < 200; i++) await s.call(method, input);
  const t = performance.now();
  for (let i = 0; i < n; i++) await s.call(method, input);
  return ((performance.now() - t) / n) * 1000;
}

async function throughput(
  call: () => Promise<unknown>,
  ms: number,
  depth: number,
): Promise<number> {
  let done = 0;
  const until = performance.now() + ms;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: depth }, async () => {
      while (performance.now() < until) {
        await call();
        done++;
      }
    }),
  );
  return done / ((performance.now() - t) / 1000);
}

async function forwarding(): Promise<void> {
  const ids = ['b1', 'b2'];
  const nodes = await startNodes(ids, (id) => [
    service('bench', {
      echo: method<{ id: string; p: string }, string>({
        selectors: [placeBy('id')],
        handler: () => id,
      }),
    }),
  ]);
  const s = await connectSession((nodes[0] as (typeof nodes)[0]).gateway, { keepalive: false });
  const keys = Array.from({ length: 20 }, (_, i) => `k${i}`);
  const local = {
    id: keys.find((k) => rendezvousOwner(k, ids) === 'b1') as string,
    p: 'x'.repeat(48),
  };
  const remote = {
    id: keys.find((k) => rendezvousOwner(k, ids) === 'b2') as string,
    p: 'x'.repeat(48),
  };
  // Interleaved twice so drift on a shared machine hits both sides alike.
  let l = 0;
  let f = 0;
  for (let round = 0; round < 2; round++) {
    l += await serialLatencyUs(s, 'bench.echo', local, SERIAL / 2);
    f += await serialLatencyUs(s, 'bench.echo', remote, SERIAL / 2);
  }
  l /= 2;
  f /= 2;
  results.push({ name: 'local call latency', value: round(l), unit: 'µs' });
  results.push({ name: 'forwarded call latency', value: round(f), unit: 'µs' });
  results.push({ name: 'forwarding overhead', value: round(f - l), unit: 'µs' });
  const lt = await throughput(() => s.call('bench.echo', local), PARALLEL_MS, DEPTH);
  const ft = await throughput(() => s.call('bench.echo', remote), PARALLEL_MS, DEPTH);
  results.push({ name: `local calls, ${DEPTH} in flight`, value: Math.round(lt), unit: 'calls/s' });
  results.push({
    name: `forwarded calls, ${DEPTH} in flight`,
    value: Math.round(ft),
    unit: 'calls/s',
  });
  s.close();
  await stopNodes(nodes);
}

function kvBench(raft: { propose(c: KvCommand): Promise<unknown> }) {
  return service('kv', {
    put: method<{ key: string; value: number }, unknown>({
      handler: (input) => raft.propose({ op: 'put', key: input.key, value: input.value }),
    }),
  });
}

async function kvCluster(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cluster-bench-'));
  const ids = ['r1', 'r2', 'r3'];
  const raftListeners = await Promise.all(ids.map(() => listen({ host: '127.0.0.1', port: 0 })));
  const raftPorts = raftListeners.map((l) => l.address.port as number);
  await Promise.all(raftListeners.map((l) => l.close()));
  const peers = Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${raftPorts[i]}`]));
  const edges: { edge: Edge; raft: { leader: string | null }; cluster: ClusterNode }[] = [];
  const gateways: { host: string; port: number }[] = [];
  let seed: string | undefined;
  try {
    for (const id of ids) {
      const raft = await startRaftGroup<KvCommand, unknown, string, unknown>({
        nodeId: id,
        dir: join(dir, id),
        listen: peers[id] as string,
        peers,
        stateMachine: new KvStateMachine(),
      });
      const tcp = await listen({ host: '127.0.0.1', port: 0 });
      const cluster = createCluster({
        nodeId: id,
        groups: [{ name: 'kv', node: raft, services: ['kv'] }],
        gateways: { tcp: `127.0.0.1:${tcp.address.port}` },
        ...(seed ? { seeds: [seed] } : {}),
      });
      const edge = createEdge({
        services: [kvBench(raft), clusterInfoService(cluster)],
        gateways: [streamGateway(tcp)],
        cluster,
        logger: silentLogger,
      });
      await edge.start();
      seed ??= cluster.address;
      edges.push({ edge, raft, cluster });
      gateways.push({ host: '127.0.0.1', port: tcp.address.port as number });
    }
    await waitFor(
      () => edges.every((e) => e.raft.leader !== null && e.cluster.members().length === 3),
      15_000,
      'leader',
    );
    const sessions = await Promise.all(
      gateways.map((g) => connectSession(g, { keepalive: false })),
    );
    let i = 0;
    const put = (): Promise<unknown> => {
      const n = i++;
      return (sessions[n % 3] as Session).call('kv.put', { key: `k${n % 1000}`, value: n });
    };
    for (let w = 0; w < 200; w++) await put();
    const ops = await throughput(put, PARALLEL_MS * 1.5, DEPTH * 2);
    results.push({
      name: `3-node raft kv puts (all nodes, ${DEPTH * 2} in flight)`,
      value: Math.round(ops),
      unit: 'ops/s',
    });
    for (const s of sessions) s.close();

    const client = createClusterClient<ReturnType<typeof kvBench>>({
      seeds: [`127.0.0.1:${gateways[0]?.port}`],
    });
    const direct = (): Promise<unknown> => {
      const n = i++;
      return client.kv.put({ key: `k${n % 1000}`, value: n });
    };
    for (let w = 0; w < 200; w++) await direct();
    const directOps = await throughput(direct, PARALLEL_MS * 1.5, DEPTH * 2);
    results.push({
      name: `3-node raft kv puts (cluster client, ${DEPTH * 2} in flight)`,
      value: Math.round(directOps),
      unit: 'ops/s',
    });
    routerOf(client).close();
  } finally {
    for (const e of edges) {
      await e.cluster.handoff({ timeout: 500 }).catch(() => {});
      await e.edge.shutdown({ timeout: 2000 });
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

await forwarding();
await kvCluster();

const get = (name: string): number =>
  results.find((r) => r.name.startsWith(name))?.value ?? Number.NaN;
const ratios = {
  'forwarded/local latency': round(get('forwarded call latency') / get('local call latency')),
  'overhead/local round trip': round(get('forwarding overhead') / get('local call latency')),
  'forwarded/local throughput': round(get('forwarded calls') / get('local calls')),
};
console.log('');
for (const r of results)
  console.log(`${r.name.padEnd(48)} ${String(r.value).padStart(10)} ${r.unit}`);
console.log('');
for (const [k, v] of Object.entries(ratios))
  console.log(`${k.padEnd(48)} ${String(v).padStart(10)}`);
console.log(
  `target: forwarding adds ≤ 1 local round trip → overhead/local round trip ≤ 1: ${ratios['overhead/local round trip'] <= 1 ? 'met' : 'NOT met'}`,
);
console.log(JSON.stringify({ bench: 'cluster/forward', results, ratios }));
process.exit(0);
