/**
 * One Raft key-value server process, for the real-process test and the
 * benchmark: RaftNode + LMDB + TCP transport, and a client port serving
 * `kv.put` (→ previous value), `kv.get` (linearizable, or {consistency}),
 * `kv.status`. Configured by one JSON argument. Prints "READY <id>" once listening.
 */
import { SwitchyardError } from '@switchyard/stream';
import { listen } from '@switchyard/tcp';
import { type KvCommand, KvStateMachine } from '../src/kv-state-machine.js';
import { lmdbStorage } from '../src/lmdb-storage.js';
import { memoryStorage } from '../src/memory-storage.js';
import { createRaftNode, type ReadConsistency } from '../src/raft-node.js';
import { createTcpTransport } from '../src/tcp-transport.js';

interface Config {
  id: string;
  /** id → "host:port" of the Raft transport. */
  peers: Record<string, string>;
  clientPort: number;
  dir: string;
  tickMs?: number;
  electionTick?: number;
  /** Not durable: in-memory log (to separate disk cost from the rest in benches). */
  memory?: boolean;
  /** lmdbStorage's `durability` (default 'wal'). */
  durability?: 'wal' | 'lmdb';
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as Config;
const raftPort = Number((cfg.peers[cfg.id] ?? '').split(':')[1]);
const storage = cfg.memory
  ? { ...memoryStorage(), close: async () => {} }
  : lmdbStorage({ dir: cfg.dir, durability: cfg.durability ?? 'wal' });
const sm = new KvStateMachine();
const node = await createRaftNode<KvCommand, unknown, string, unknown>({
  id: cfg.id,
  peers: Object.keys(cfg.peers),
  storage,
  stateMachine: sm,
  transport: createTcpTransport({
    id: cfg.id,
    listen: { host: '127.0.0.1', port: raftPort },
    peers: cfg.peers,
  }),
  tickMs: cfg.tickMs ?? 20,
  raft: { electionTick: cfg.electionTick ?? 10, heartbeatTick: 1 },
  defaultTimeout: 3000,
});
node.on('error', (e) => console.error(`[${cfg.id}] ${e.message}`));

await listen(
  { host: '127.0.0.1', port: cfg.clientPort },
  {
    idleTimeout: 0,
    serve: {
      methods: ['kv.put', 'kv.get', 'kv.status'],
      // Handlers mostly await replication: let many run so one Ready batches them all.
      window: 8192,
      maxConcurrentHandlers: 8192,
      handler: async (call) => {
        const input = call.input as {
          key?: string;
          value?: unknown;
          consistency?: ReadConsistency;
        };
        switch (call.method) {
          case 'kv.put':
            return node.propose({ op: 'put', key: String(input.key), value: input.value });
          case 'kv.get':
            return node.read(String(input.key), {
              consistency: input.consistency ?? 'linearizable',
            });
          case 'kv.status': {
            const s = node.status();
            return {
              id: s.id,
              role: s.role,
              term: s.term,
              leader: s.leader,
              commit: s.commit,
              applied: s.applied,
            };
          }
          default:
            throw new SwitchyardError('UNIMPLEMENTED', call.method);
        }
      },
    },
  },
);
console.log(`READY ${cfg.id}`);

const stop = async () => {
  await node.close();
  await storage.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
