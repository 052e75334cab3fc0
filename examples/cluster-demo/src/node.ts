/**
 * One demo node, run as its own process by main.ts:
 *   node --import tsx src/node.ts '<json config>'
 * It prints one `READY {...}` line on stdout once every gateway listens, and
 * shuts down gracefully on SIGTERM/SIGINT (hand off Raft leadership, drain).
 */
import { createCluster, startRaftGroup } from '@switchyard/cluster';
import { consoleLogger, createEdge, streamGateway } from '@switchyard/core';
import { httpGateway } from '@switchyard/http';
import { type KvCommand, KvStateMachine } from '@switchyard/raft';
import { listen } from '@switchyard/tcp';
import { wsGateway } from '@switchyard/ws';
import { adminService, kvService } from './kv-service.js';

export interface NodeConfig {
  id: string;
  dir: string;
  host: string;
  ports: { http: number; ws: number; tcp: number; cluster: number; raft: number; gossip: number };
  /** Raft id → "host:port" of every node's Raft transport. */
  raftPeers: Record<string, string>;
  /** Gossip addresses of the other nodes (membership is SWIM gossip). */
  seeds: string[];
}

export async function runNode(config: NodeConfig): Promise<() => Promise<void>> {
  const { id, host, ports } = config;
  const raft = await startRaftGroup<KvCommand, unknown, string, unknown>({
    nodeId: id,
    dir: config.dir,
    listen: `${host}:${ports.raft}`,
    peers: config.raftPeers,
    stateMachine: new KvStateMachine(),
    raft: {
      tickMs: 50,
      raft: { electionTick: 10, heartbeatTick: 2, preVote: true, checkQuorum: true },
    },
  });
  const cluster = createCluster({
    nodeId: id,
    listen: { host, port: ports.cluster },
    // Membership and failure detection by SWIM gossip; NodeInfo (addresses, groups) rides in its metadata.
    gossip: { bind: `${host}:${ports.gossip}`, seeds: config.seeds, profile: 'local' },
    gateways: {
      http: `${host}:${ports.http}`,
      ws: `${host}:${ports.ws}`,
      tcp: `${host}:${ports.tcp}`,
    },
    groups: [{ name: 'kv', node: raft, services: ['kv'] }],
  });
  const tcp = await listen({ host, port: ports.tcp });
  const edge = createEdge({
    services: [kvService(raft), adminService(id, raft, cluster)],
    gateways: [
      httpGateway({ host, port: ports.http, openapi: false }),
      wsGateway({ host, port: ports.ws }),
      streamGateway(tcp),
    ],
    cluster,
    logger: consoleLogger('error'),
  });
  await edge.start();
  return async () => {
    await cluster.handoff({ timeout: 2000 });
    await edge.shutdown({ timeout: 4000 });
  };
}

const isMain = process.argv[1]?.endsWith('node.ts') || process.argv[1]?.endsWith('node.js');
if (isMain) {
  const raw = process.argv[2];
  if (raw === undefined) {
    process.stderr.write('usage: node --import tsx src/node.ts <json config>\n');
    process.exit(2);
  }
  const config = JSON.parse(raw) as NodeConfig;
  const stop = await runNode(config);
  process.stdout.write(`READY ${JSON.stringify({ id: config.id, pid: process.pid })}\n`);
  let stopping = false;
  const onSignal = (): void => {
    if (stopping) return;
    stopping = true;
    const hard = setTimeout(() => process.exit(1), 8000);
    hard.unref();
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // The parent going away (even by SIGKILL) must not leave this node running.
  process.on('disconnect', onSignal);
  process.stdin.on('end', onSignal);
  process.stdin.resume();
}
