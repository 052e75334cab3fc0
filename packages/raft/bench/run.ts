/**
 * `pnpm --filter @switchyard/raft bench`: a 3-node cluster in separate
 * processes on 127.0.0.1, durable (every acknowledged write was flushed on a
 * majority: lmdbStorage's default, the write-ahead log in front of LMDB),
 * 256 B values. Measures throughput with many
 * concurrent proposers, commit latency at low load and at saturation,
 * ReadIndex latency, failover time over repeated leader SIGKILLs, and a raw
 * fsync baseline in the same run. Prints a table, then one JSON line.
 */
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KvClients, startProcessCluster } from '../test/process-cluster.js';

const ids = ['n1', 'n2', 'n3'];
const SATURATION_MS = Number(process.env.RAFT_BENCH_MS ?? 5000);
const IN_FLIGHT = Number(process.env.RAFT_BENCH_INFLIGHT ?? 512);
const FAILOVERS = Number(process.env.RAFT_BENCH_FAILOVERS ?? 7);
const LOW_LOAD_MS = Number(process.env.RAFT_BENCH_LOW_MS ?? 5000);
// RAFT_BENCH_ONLY=low-load: just the fsync baseline and the low-load runs (for profiling).
const ONLY_LOW_LOAD = process.env.RAFT_BENCH_ONLY === 'low-load';
const value = 'x'.repeat(256);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function fsyncBaseline(n = 400): { opsPerS: number; p50: number } {
  const dir = mkdtempSync(join(tmpdir(), 'raft-fsync-'));
  const fd = openSync(join(dir, 'f'), 'w');
  const buf = Buffer.alloc(256, 1);
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    writeSync(fd, buf);
    fdatasyncSync(fd);
    lat.push(performance.now() - s);
  }
  const secs = (performance.now() - t0) / 1000;
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  return { opsPerS: n / secs, p50: pct(lat, 50) };
}

async function findLeader(c: KvClients, candidates: string[], ms = 15_000): Promise<string> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const id of candidates) {
      try {
        const s = await c.call<{ role: string }>(id, 'kv.status', {}, 200);
        if (s.role === 'leader') return id;
      } catch {
        // down
      }
    }
    await sleep(5);
  }
  throw new Error('no leader');
}

async function sequential(
  c: KvClients,
  leader: string,
  method: string,
  ms: number,
): Promise<number[]> {
  const lat: number[] = [];
  const end = performance.now() + ms;
  let i = 0;
  while (performance.now() < end) {
    const s = performance.now();
    await c.call(
      leader,
      method,
      method === 'kv.put' ? { key: `k${i++ % 64}`, value } : { key: 'k1' },
    );
    lat.push(performance.now() - s);
  }
  return lat;
}

async function saturate(c: KvClients, leader: string, ms: number, inflight: number) {
  const lat: number[] = [];
  let done = 0;
  let errors = 0;
  const errorKinds = new Map<string, number>();
  const end = performance.now() + ms;
  const t0 = performance.now();
  const worker = async (w: number) => {
    let i = 0;
    while (performance.now() < end) {
      const s = performance.now();
      try {
        await c.call(leader, 'kv.put', { key: `w${w}-${i++ % 16}`, value }, 10_000);
        lat.push(performance.now() - s);
        done++;
      } catch (err) {
        errors++;
        const k = (err as Error).message.slice(0, 100);
        errorKinds.set(k, (errorKinds.get(k) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, (_, w) => worker(w)));
  if (errors > 0) console.error(`errors: ${JSON.stringify([...errorKinds])}`);
  return { writesPerS: done / ((performance.now() - t0) / 1000), lat, errors };
}

const fsync = fsyncBaseline();
console.error(`fsync baseline: ${round(fsync.opsPerS, 0)} ops/s, p50 ${round(fsync.p50, 3)} ms`);
// RAFT_BENCH_STORAGE=memory runs the same bench without durability, to
// separate the disk's share of the figures from the rest (not the headline).
const memory = process.env.RAFT_BENCH_STORAGE === 'memory';
// RAFT_BENCH_DURABILITY=lmdb: every write awaits LMDB's own flush instead of the WAL's.
const durability = process.env.RAFT_BENCH_DURABILITY === 'lmdb' ? 'lmdb' : 'wal';
console.error(`storage: ${memory ? 'memory (not durable)' : `lmdb, durability '${durability}'`}`);
const cluster = await startProcessCluster(ids, {
  tickMs: 20,
  electionTick: 10,
  memory,
  durability,
});
const clients = new KvClients(cluster.clientPorts);
try {
  const leader = await findLeader(clients, ids);
  // Warm-up, so the figures are the steady state rather than the first
  // seconds of a process: JIT, and LMDB's and the WAL's files grown.
  await saturate(clients, leader, 1000, IN_FLIGHT);
  await sequential(clients, leader, 'kv.put', 1000);
  const low = await sequential(clients, leader, 'kv.put', LOW_LOAD_MS);
  const reads = await sequential(clients, leader, 'kv.get', 1500);
  console.error(`low load: ${low.length} writes, ${reads.length} reads`);
  if (ONLY_LOW_LOAD) {
    const l = (p: number) => round(pct(low, p), 3);
    const r = (p: number) => round(pct(reads, p), 3);
    console.log(
      `low-load commit p50 ${l(50)} ms, p90 ${l(90)} ms, p99 ${l(99)} ms (n=${low.length})`,
    );
    console.log(`readindex p50 ${r(50)} ms, p99 ${r(99)} ms (n=${reads.length})`);
  } else await fullRun(leader, low, reads);
} finally {
  clients.close();
  await cluster.stop();
}

async function fullRun(firstLeader: string, low: number[], reads: number[]): Promise<void> {
  let leader = firstLeader;
  await saturate(clients, leader, 500, IN_FLIGHT); // warm-up
  const sat = await saturate(clients, leader, SATURATION_MS, IN_FLIGHT);
  console.error(`saturation: ${round(sat.writesPerS, 0)} writes/s, ${sat.errors} errors`);

  const failovers: number[] = [];
  for (let t = 0; t < FAILOVERS; t++) {
    leader = await findLeader(clients, ids);
    // Let the followers settle their election timers under a healthy leader.
    await sleep(300);
    const killed = leader;
    const k0 = performance.now();
    cluster.signal(killed, 'SIGKILL');
    leader = await findLeader(
      clients,
      ids.filter((x) => x !== killed),
    );
    failovers.push(performance.now() - k0);
    console.error(`failover ${t + 1}: ${round(failovers[t] as number, 1)} ms`);
    await cluster.start(killed);
  }

  const results = [
    { name: 'writes-per-s', value: round(sat.writesPerS, 0), unit: 'writes/s' },
    { name: 'commit-p50-ms-low-load', value: round(pct(low, 50), 3), unit: 'ms' },
    { name: 'commit-p99-ms-low-load', value: round(pct(low, 99), 3), unit: 'ms' },
    { name: 'commit-p50-ms-saturation', value: round(pct(sat.lat, 50), 2), unit: 'ms' },
    { name: 'commit-p99-ms-saturation', value: round(pct(sat.lat, 99), 2), unit: 'ms' },
    { name: 'readindex-p50-ms', value: round(pct(reads, 50), 3), unit: 'ms' },
    { name: 'readindex-p99-ms', value: round(pct(reads, 99), 3), unit: 'ms' },
    { name: 'failover-p50-ms', value: round(pct(failovers, 50), 1), unit: 'ms' },
    { name: 'failover-p99-ms', value: round(pct(failovers, 99), 1), unit: 'ms' },
    { name: 'fsync-baseline-writes-per-s', value: round(fsync.opsPerS, 0), unit: 'writes/s' },
    { name: 'fsync-baseline-p50-ms', value: round(fsync.p50, 3), unit: 'ms' },
  ];
  const targets: Record<string, string> = {
    'writes-per-s': '>= 20000',
    'commit-p50-ms-low-load': '<= 2',
    'commit-p99-ms-low-load': '<= 10',
    'readindex-p50-ms': '<= 1',
    'failover-p50-ms': '<= 400',
    'failover-p99-ms': '<= 1000',
  };
  console.log('| metric | value | unit | target |');
  console.log('|---|---:|---|---|');
  for (const r of results)
    console.log(`| ${r.name} | ${r.value} | ${r.unit} | ${targets[r.name] ?? ''} |`);
  const ratios = {
    'writes-per-s/fsync-baseline-writes-per-s': round(sat.writesPerS / fsync.opsPerS, 2),
    'commit-p50-ms-low-load/fsync-baseline-p50-ms': round(pct(low, 50) / fsync.p50, 2),
  };
  console.log(`ratios: ${JSON.stringify(ratios)}`);
  console.log(
    JSON.stringify({
      bench: memory
        ? 'raft/cluster-memory'
        : durability === 'lmdb'
          ? 'raft/cluster-lmdb-flushed'
          : 'raft/cluster',
      results,
      ratios,
    }),
  );
}
