/**
 * tcp/echo bench: Switchyard vs a raw length-prefixed node:net echo (the floor)
 * vs @grpc/grpc-js, each server in its own process on 127.0.0.1.
 * Env: BENCH_SECONDS (per cell, default 1.5).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type BenchClient, grpcClient, rawClient, switchyardClient } from './clients.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 1.5);
const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));
const children: ChildProcess[] = [];

async function startServer(kind: string): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, kind], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /PORT (\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return { port, child };
}

function stopAll(): void {
  for (const c of children) if (c.exitCode === null) c.kill();
}
process.on('exit', stopAll);
process.on('SIGINT', () => {
  stopAll();
  process.exit(130);
});

/** CPU time of another process in µs, from /proc (Linux); 0 where unavailable. */
function procCpu(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 (1-based), in clock ticks (100 Hz on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return 0;
  }
}

/** One latency buffer for every cell: a 32 MB allocation per cell would itself trigger GCs. */
const LATENCIES = new Float64Array(4_000_000);

interface Cell {
  calls: number;
  /** Client + server CPU µs per call: robust to other load on a shared machine. */
  cpu: number;
  perSec: number;
  p50: number;
  p99: number;
}

/** Keeps `inflight` calls outstanding for `seconds`; latency per call in µs. */
function drive(
  client: BenchClient,
  size: number,
  inflight: number,
  seconds: number,
  serverPid?: number,
): Promise<Cell> {
  const payload = Buffer.alloc(size, 7);
  const lat = LATENCIES;
  let n = 0;
  let completed = 0;
  let stopping = false;
  let outstanding = 0;
  return new Promise((resolve) => {
    const cpu0 = process.cpuUsage();
    const srv0 = procCpu(serverPid);
    const start = performance.now();
    const end = start + seconds * 1000;
    const one = (): void => {
      const t0 = performance.now();
      outstanding++;
      client.call(payload, () => {
        const t1 = performance.now();
        outstanding--;
        completed++;
        if (n < lat.length) lat[n++] = (t1 - t0) * 1000;
        if (!stopping && t1 >= end) stopping = true;
        if (!stopping) one();
        else if (outstanding === 0) {
          const elapsed = (performance.now() - start) / 1000;
          const cu = process.cpuUsage(cpu0);
          const cpu = (cu.user + cu.system + procCpu(serverPid) - srv0) / completed;
          const sorted = lat.subarray(0, n).sort();
          resolve({
            cpu,
            calls: completed,
            perSec: completed / elapsed,
            p50: sorted[Math.floor(n * 0.5)] ?? 0,
            p99: sorted[Math.floor(n * 0.99)] ?? 0,
          });
        }
      });
    };
    for (let i = 0; i < inflight; i++) one();
  });
}

const results: { name: string; value: number; unit: string }[] = [];
const rows: string[][] = [];
const cells = new Map<string, Cell>();
const memoryLines: string[] = [];
const fmt = (x: number, d = 0): string =>
  x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * All servers stay up and the implementations take turns on every cell, so
 * compared cells see the same background load on a shared machine.
 */
async function runAll(impls: [string, (port: number) => Promise<BenchClient>][]): Promise<void> {
  const live: { kind: string; client: BenchClient; child: ChildProcess }[] = [];
  for (const [kind, make] of impls) {
    const { port, child } = await startServer(kind);
    const client = await make(port);
    // Warm up JIT (and tsx's transpile-on-load) so the first measured cell is not penalized.
    await drive(client, 64, 16, kind === 'grpc' ? 0.3 : 1);
    await drive(client, 4096, 16, kind === 'grpc' ? 0.2 : 0.5);
    live.push({ kind, client, child });
  }
  for (const size of (process.env.BENCH_SIZES ?? '64,4096').split(',').map(Number)) {
    for (const inflight of [1, 16, 256]) {
      for (const { kind, client, child } of live) {
        const secs = kind === 'grpc' ? Math.min(SECONDS, 1) : SECONDS;
        await drive(client, size, inflight, 0.2); // warm-up
        const c = await drive(client, size, inflight, secs, child.pid);
        const label = `${kind} ${size === 64 ? '64B' : '4KiB'} x${inflight}`;
        cells.set(label, c);
        rows.push([
          kind,
          size === 64 ? '64 B' : '4 KiB',
          String(inflight),
          fmt(c.perSec),
          fmt(c.p50, 1),
          fmt(c.p99, 1),
          fmt(c.cpu, 1),
        ]);
        results.push({ name: `${label} calls/s`, value: Math.round(c.perSec), unit: 'calls/s' });
        results.push({ name: `${label} p50`, value: Number(c.p50.toFixed(1)), unit: 'µs' });
        results.push({ name: `${label} p99`, value: Number(c.p99.toFixed(1)), unit: 'µs' });
        results.push({
          name: `${label} cpu`,
          value: Number(c.cpu.toFixed(2)),
          unit: 'µs CPU/call',
        });
      }
    }
  }
  for (const { client, child } of live) {
    client.close();
    child.kill();
  }
}

async function memory(): Promise<void> {
  const { port, child } = await startServer('switchyard');
  const probe = await switchyardClient(port);
  type Mem = { heap: number; external: number; rss: number };
  const base = await probe.session.call<Mem>('mem');
  const N = 200;
  const idle = await Promise.all(Array.from({ length: N }, () => switchyardClient(port)));
  await new Promise((r) => setTimeout(r, 200));
  const withIdle = await probe.session.call<Mem>('mem');
  const perConn = (withIdle.heap + withIdle.external - base.heap - base.external) / N;
  for (const c of idle) c.close();
  await new Promise((r) => setTimeout(r, 200));
  const base2 = await probe.session.call<Mem>('mem');
  const holder = await switchyardClient(port);
  const H = 10_000;
  const held = Array.from({ length: H }, () =>
    holder.session.call('hold', Buffer.alloc(64), { timeout: 60_000 }),
  );
  // Wait until the server holds them all (they arrive in a few batches).
  await new Promise((r) => setTimeout(r, 500));
  const withHeld = await probe.session.call<Mem>('mem');
  const perCall = (withHeld.heap + withHeld.external - base2.heap - base2.external) / H;
  await probe.session.call('release');
  await Promise.all(held);
  holder.close();
  probe.close();
  child.kill();
  memoryLines.push(
    `switchyard server memory: ${fmt(perConn / 1024, 1)} KiB per idle connection, ${fmt(perCall)} B per in-flight call (heap + external, after GC)`,
  );
  results.push({
    name: 'server memory per idle connection',
    value: Math.round(perConn),
    unit: 'B',
  });
  results.push({ name: 'server memory per in-flight call', value: Math.round(perCall), unit: 'B' });
}

async function main(): Promise<void> {
  const only = process.env.BENCH_ONLY?.split(',');
  const impls: [string, (port: number) => Promise<BenchClient>][] = [
    ['raw', rawClient],
    ['switchyard', switchyardClient],
    ['grpc', grpcClient],
  ];
  await runAll(impls.filter(([k]) => !only || only.includes(k)));
  if (!only || only.includes('memory')) await memory();

  const header = ['impl', 'payload', 'in flight', 'calls/s', 'p50 µs', 'p99 µs', 'CPU µs/call'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
  for (const m of memoryLines) console.log(m);

  const get = (k: string): Cell | undefined => cells.get(k);
  const ratios: Record<string, number> = {};
  const sy256 = get('switchyard 64B x256');
  const raw256 = get('raw 64B x256');
  const grpc256 = get('grpc 64B x256');
  const sy1 = get('switchyard 64B x1');
  const raw1 = get('raw 64B x1');
  if (sy256 && raw256)
    ratios['switchyard/raw:pipelined-64B'] = Number((sy256.perSec / raw256.perSec).toFixed(3));
  if (sy256 && grpc256)
    ratios['switchyard/grpc:pipelined-64B'] = Number((sy256.perSec / grpc256.perSec).toFixed(2));
  if (sy1 && raw1)
    ratios['switchyard/raw:p50-sequential-64B'] = Number((sy1.p50 / raw1.p50).toFixed(3));
  const sy16 = get('switchyard 64B x16');
  const raw16 = get('raw 64B x16');
  if (sy16 && raw16)
    ratios['switchyard/raw:pipelined16-64B'] = Number((sy16.perSec / raw16.perSec).toFixed(3));
  const sy4k = get('switchyard 4KiB x256');
  const raw4k = get('raw 4KiB x256');
  if (sy4k && raw4k)
    ratios['switchyard/raw:pipelined-4KiB'] = Number((sy4k.perSec / raw4k.perSec).toFixed(3));
  console.log('');
  console.log(
    'targets: switchyard/raw:pipelined-64B ≥ 0.7, switchyard/grpc:pipelined-64B ≥ 10, switchyard/raw:p50-sequential-64B ≤ 1.3',
  );
  for (const [k, v] of Object.entries(ratios)) console.log(`${k}: ${v}`);
  console.log(JSON.stringify({ bench: 'tcp/echo', results, ratios }));
}

main().then(
  () => {
    stopAll();
    process.exit(0);
  },
  (e) => {
    console.error(e);
    stopAll();
    process.exit(1);
  },
);
