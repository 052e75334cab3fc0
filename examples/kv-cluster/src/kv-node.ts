/**
 * One node of the key-value cluster: REST + TCP gateways, a cluster node and
 * one Raft replica on LMDB. Run by launch.ts as
 *   node --import tsx src/kv-node.ts '<json config>'
 */
import { clusterInfoService, createCluster, startRaftGroup } from '@switchyard/cluster';
import {
  consoleLogger,
  createEdge,
  method,
  rest,
  rpc,
  SwitchyardError,
  service,
  streamGateway,
} from '@switchyard/core';
import { httpGateway } from '@switchyard/http';
import { type KvCommand, KvStateMachine, type RaftNode } from '@switchyard/raft';
import { listen } from '@switchyard/tcp';

export interface KvNodeConfig {
  id: string;
  dir: string;
  host: string;
  ports: { http: number; tcp: number; cluster: number; raft: number };
  raftPeers: Record<string, string>;
  seeds: string[];
}

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const key = (k: unknown): string => {
  if (typeof k !== 'string' || !KEY.test(k))
    throw new SwitchyardError('INVALID_ARGUMENT', 'bad key');
  return k;
};

type KvRaft = RaftNode<KvCommand, unknown, string, unknown>;

export function kvService(id: string, raft: KvRaft) {
  return service('kv', {
    put: method<{ key: string; value: unknown }, { prev: unknown }>({
      selectors: [rest('PUT', '/kv/:key'), rpc('put')],
      handler: async (input) => ({
        prev: await raft.propose({ op: 'put', key: key(input?.key), value: input.value ?? null }),
      }),
    }),
    get: method<{ key: string }, { value: unknown; servedBy: string }>({
      selectors: [rest('GET', '/kv/:key'), rpc('get')],
      idempotent: true,
      handler: async (input) => ({ value: await raft.read(key(input?.key)), servedBy: id }),
    }),
    delete: method<{ key: string }, { prev: unknown }>({
      selectors: [rest('DELETE', '/kv/:key')],
      handler: async (input) => ({
        prev: await raft.propose({ op: 'delete', key: key(input?.key) }),
      }),
    }),
  });
}

/** The typed face of the store, for `createClusterClient<KvService>`. */
export type KvService = ReturnType<typeof kvService>;

export async function runKvNode(config: KvNodeConfig): Promise<() => Promise<void>> {
  const { id, host, ports } = config;
  const raft = await startRaftGroup<KvCommand, unknown, string, unknown>({
    nodeId: id,
    dir: config.dir,
    listen: `${host}:${ports.raft}`,
    peers: config.raftPeers,
    stateMachine: new KvStateMachine(),
  });
  const cluster = createCluster({
    nodeId: id,
    listen: { host, port: ports.cluster },
    seeds: config.seeds,
    gateways: { http: `${host}:${ports.http}`, tcp: `${host}:${ports.tcp}` },
    groups: [{ name: 'kv', node: raft, services: ['kv'] }],
  });
  // Not replicated: any node answers with its view (how cluster-aware clients route).
  const info = clusterInfoService(cluster);
  const tcp = await listen({ host, port: ports.tcp });
  const edge = createEdge({
    services: [kvService(id, raft), info],
    gateways: [httpGateway({ host, port: ports.http, openapi: false }), streamGateway(tcp)],
    cluster,
    logger: consoleLogger('error'),
  });
  await edge.start();
  return async () => {
    await cluster.handoff({ timeout: 2000 });
    await edge.shutdown({ timeout: 4000 });
  };
}

if (process.argv[1]?.endsWith('kv-node.ts')) {
  const config = JSON.parse(process.argv[2] ?? '{}') as KvNodeConfig;
  const stop = await runKvNode(config);
  process.stdout.write(`READY ${config.id}\n`);
  let stopping = false;
  const onStop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 8000).unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.stdin.on('end', onStop);
  process.stdin.resume();
}
