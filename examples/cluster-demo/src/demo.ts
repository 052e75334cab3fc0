import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KvInput } from '@switchyard/sim';
import { SwitchyardError } from '@switchyard/stream';
import { connectSession } from '@switchyard/tcp';
import { type KvClient, openClient, type Protocol } from './clients.js';
import type { NodeConfig } from './node.js';
import { freePorts, killAllNow, type NodeProcess, spawnNode, stopAll } from './processes.js';
import { LatencyStats } from './stats.js';
import { type KvOp, type Verdict, verify } from './verify.js';

export interface DemoOptions {
  /** Length of the client workload, ms. */
  durationMs: number;
  /** When the leader is killed, ms after the workload starts. */
  killAtMs: number;
  /** Calls each client keeps in flight. */
  depth: number;
  keys: number;
  print: (line: string) => void;
  /** Stops the workload early (Ctrl-C); cleanup still runs. */
  signal?: AbortSignal;
}

export interface DemoResult {
  verdict: Verdict;
  failoverMs: number | undefined;
  electionMs: number | undefined;
  killedLeader: string;
  newLeader: string | null;
  perProtocol: Record<Protocol, LatencyStats>;
  seconds: number;
}

const PROTOCOLS: readonly Protocol[] = ['rest', 'ws', 'tcp'];
const IDS = ['n1', 'n2', 'n3'] as const;
const HOST = '127.0.0.1';

interface NodeAddresses {
  id: string;
  rest: string;
  ws: string;
  tcp: string;
}

/** Starts three nodes, runs the workload, kills the leader, verifies. Cleans up in every case. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { print } = options;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-demo-'));
  const procs: NodeProcess[] = [];
  const onExit = (): void => killAllNow(procs);
  process.on('exit', onExit);
  try {
    const ports = await freePorts(IDS.length * 6);
    const port = (i: number, k: number): number => ports[i * 6 + k] as number;
    const raftPeers: Record<string, string> = {};
    IDS.forEach((id, i) => {
      raftPeers[id] = `${HOST}:${port(i, 4)}`;
    });
    const configs: NodeConfig[] = IDS.map((id, i) => ({
      id,
      dir: join(dir, id),
      host: HOST,
      ports: {
        http: port(i, 0),
        ws: port(i, 1),
        tcp: port(i, 2),
        cluster: port(i, 3),
        raft: port(i, 4),
        gossip: port(i, 5),
      },
      raftPeers,
      seeds: IDS.filter((o) => o !== id).map((o) => `${HOST}:${port(IDS.indexOf(o), 5)}`),
    }));
    const nodes: NodeAddresses[] = configs.map((c) => ({
      id: c.id,
      rest: `${HOST}:${c.ports.http}`,
      ws: `${HOST}:${c.ports.ws}`,
      tcp: `${HOST}:${c.ports.tcp}`,
    }));
    print(`starting 3 nodes (data under ${dir})`);
    const tStart = performance.now();
    for (const c of configs) procs.push(spawnNode(c));
    await Promise.all(procs.map((p) => p.ready));
    const leader = await waitForLeader(nodes, new Set(), 20_000);
    const upIn = ((performance.now() - tStart) / 1000).toFixed(1);
    print(
      `cluster up in ${upIn} s: leader ${leader.leader} (term ${leader.term}), members ${leader.members.join(', ')} (SWIM gossip)`,
    );

    const perProtocol = {
      rest: new LatencyStats(),
      ws: new LatencyStats(),
      tcp: new LatencyStats(),
    };
    const history: KvOp[] = [];
    const dropped = new Set<KvOp>();
    const t0 = performance.now();
    const deadline = t0 + options.durationMs;
    let killAt = Number.POSITIVE_INFINITY;
    let firstAckAfterKill: number | undefined;
    let seq = 0;

    /** One logical client: a protocol, a preferred node, `depth` loops; moves on to the next node when its node fails. */
    const worker = async (protocol: Protocol, home: number, lane: number): Promise<void> => {
      let at = home;
      let client: KvClient | undefined;
      const name = `${protocol}-${IDS[home]}-${lane}`;
      while (performance.now() < deadline && !options.signal?.aborted) {
        const node = nodes[at % nodes.length] as NodeAddresses;
        if (client === undefined) {
          client = await openClient(protocol, node[protocol]).catch(() => undefined);
          if (client === undefined) {
            at++;
            await sleep(100);
            continue;
          }
        }
        const key = `k${Math.floor(Math.random() * options.keys)}`;
        const isPut = Math.random() < 0.6;
        const input: KvInput<string> = isPut
          ? { op: 'put', key, value: `${name}#${++seq}` }
          : { op: 'get', key };
        const op: KvOp = { client: name, call: performance.now(), input };
        history.push(op);
        try {
          const output = isPut
            ? await client.put(key, (input as { value: string }).value)
            : await client.get(key);
          const now = performance.now();
          op.return = now;
          op.output = isPut ? null : output;
          perProtocol[protocol].add(now - op.call);
          if (isPut && op.call > killAt && firstAckAfterKill === undefined) firstAckAfterKill = now;
        } catch (error) {
          perProtocol[protocol].errors++;
          const code = error instanceof SwitchyardError ? error.code : 'UNKNOWN';
          // A failed read changed nothing; a write refused with NOT_LEADER never entered the log.
          // Any other failed write stays pending: it may or may not have happened.
          if (!isPut || code === 'NOT_LEADER' || code === 'INVALID_ARGUMENT') dropped.add(op);
          if (code === 'UNAVAILABLE' || code === 'DEADLINE_EXCEEDED') {
            client.close();
            client = undefined;
            at++;
          }
          await sleep(20);
        }
      }
      client?.close();
    };

    const workers: Promise<void>[] = [];
    for (let i = 0; i < nodes.length; i++) {
      for (const p of PROTOCOLS)
        for (let lane = 0; lane < options.depth; lane++) workers.push(worker(p, i, lane));
    }

    // Progress, the kill, and failover detection run beside the workload.
    let killed = '';
    let electionMs: number | undefined;
    let newLeader: string | null = null;
    let last = { rest: 0, ws: 0, tcp: 0 };
    const progress = setInterval(() => {
      const t = ((performance.now() - t0) / 1000).toFixed(1);
      const rates = PROTOCOLS.map((p) => `${p} ${perProtocol[p].ok - last[p]}/s`).join('  ');
      const errs = PROTOCOLS.reduce((n, p) => n + perProtocol[p].errors, 0);
      last = { rest: perProtocol.rest.ok, ws: perProtocol.ws.ok, tcp: perProtocol.tcp.ok };
      print(`  t=${t.padStart(4)}s  ${rates}  errors ${errs}`);
    }, 1000);
    const chaos = (async () => {
      await sleep(options.killAtMs);
      if (options.signal?.aborted) return;
      const before = await waitForLeader(nodes, new Set(), 5000);
      killed = before.leader;
      const victim = procs.find((p) => p.id === killed);
      print(`>>> killing the Raft leader ${killed} (SIGKILL, pid ${victim?.child.pid})`);
      killAt = performance.now();
      victim?.child.kill('SIGKILL');
      const after = await waitForLeader(nodes, new Set([killed]), 10_000).catch(() => undefined);
      if (after) {
        electionMs = performance.now() - killAt;
        newLeader = after.leader;
        print(
          `>>> new leader ${after.leader} (term ${after.term}) after ${electionMs.toFixed(0)} ms`,
        );
      } else print('>>> no new leader within 10 s');
    })();
    await Promise.all(workers);
    clearInterval(progress);
    await chaos;
    const seconds = (performance.now() - t0) / 1000;

    // Final linearizable reads of every key, on a surviving node, close the history.
    const finals = new Map<string, unknown>();
    const survivor = nodes.find((n) => n.id !== killed) as NodeAddresses;
    const reader = await openClient('tcp', survivor.tcp);
    for (let k = 0; k < options.keys; k++) {
      const key = `k${k}`;
      for (let attempt = 0; attempt < 20; attempt++) {
        const op: KvOp = { client: 'final', call: performance.now(), input: { op: 'get', key } };
        try {
          const value = await reader.get(key);
          op.return = performance.now();
          op.output = value;
          history.push(op);
          finals.set(key, value);
          break;
        } catch {
          await sleep(100);
        }
      }
    }
    reader.close();
    const kept = history.filter((op) => !dropped.has(op));
    print(`checking ${kept.length} operations for linearizability…`);
    const tCheck = performance.now();
    const verdict = verify(kept, finals);
    print(`checked in ${((performance.now() - tCheck) / 1000).toFixed(1)} s`);
    return {
      verdict,
      failoverMs: firstAckAfterKill === undefined ? undefined : firstAckAfterKill - killAt,
      electionMs,
      killedLeader: killed,
      newLeader,
      perProtocol,
      seconds,
    };
  } finally {
    await stopAll(procs);
    process.off('exit', onExit);
    rmSync(dir, { recursive: true, force: true });
  }
}

interface StatusReply {
  node: string;
  leader: string | null;
  term: number;
  members: string[];
}

/** Polls the nodes not in `exclude` until they agree on a leader outside `exclude`. */
async function waitForLeader(
  nodes: readonly NodeAddresses[],
  exclude: ReadonlySet<string>,
  timeoutMs: number,
): Promise<{ leader: string; term: number; members: string[] }> {
  const until = performance.now() + timeoutMs;
  const live = nodes.filter((n) => !exclude.has(n.id));
  while (performance.now() < until) {
    const replies = await Promise.all(live.map((n) => status(n).catch(() => undefined)));
    const ok = replies.filter((r): r is StatusReply => r !== undefined);
    const first = ok[0];
    if (
      first &&
      ok.length === live.length &&
      first.leader !== null &&
      !exclude.has(first.leader) &&
      // At start, also wait for membership to converge (routing needs the leader's address).
      ok.every(
        (r) => r.leader === first.leader && (exclude.size > 0 || r.members.length === live.length),
      )
    ) {
      return { leader: first.leader, term: first.term, members: first.members };
    }
    await sleep(50);
  }
  throw new Error('no leader agreed on in time');
}

async function status(n: NodeAddresses): Promise<StatusReply> {
  const at = n.tcp.lastIndexOf(':');
  const s = await connectSession(
    { host: n.tcp.slice(0, at), port: Number(n.tcp.slice(at + 1)) },
    { connectTimeout: 500, keepalive: false },
  );
  try {
    return await s.call<StatusReply>('admin.status', undefined, { timeout: 500 });
  } finally {
    s.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
