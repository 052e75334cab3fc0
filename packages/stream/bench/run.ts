/**
 * Session micro-bench: client and server sessions in one process over
 * createConduitPair (zero-copy receive, like TCP), a 64 B echo (raw blob, or a small object through the
 * codec) with N calls in flight. Reports CPU µs per call and JS heap bytes
 * allocated per call (client + server together, counted across GCs with
 * v8.GCProfiler), which stay meaningful on a loaded machine where wall-clock
 * figures do not.
 *
 *   pnpm --filter @switchyard/stream bench
 *   (re-runs itself under node --expose-gc)
 *
 * Env: CALLS (per cell, default 200 000), INFLIGHT (default "1,16,256"),
 * READ_SIGNAL=1 to have the handler read `call.signal` (as core's
 * streamGateway does), which shows what an AbortController per call costs.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GCProfiler } from 'node:v8';
import {
  type Conduit,
  createConduitPair,
  createSession,
  type IncomingCall,
  type Session,
} from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  const self = fileURLToPath(import.meta.url);
  const flags = ['--expose-gc', '--import', 'tsx', self];
  process.exit(spawnSync(process.execPath, flags, { stdio: 'inherit' }).status ?? 1);
}

const CALLS = Number(process.env.CALLS ?? 200_000);
const INFLIGHT = (process.env.INFLIGHT ?? '1,16,256').split(',').map(Number);
const READ_SIGNAL = process.env.READ_SIGNAL === '1';

type GCStats = ReturnType<GCProfiler['stop']>;

/** Bytes allocated on the JS heap between `used0` and `used1`, adding back what each GC freed. */
function allocated(used0: number, used1: number, stats: GCStats): number {
  let total = 0;
  let last = used0;
  for (const s of stats?.statistics ?? []) {
    total += s.beforeGC.heapStatistics.usedHeapSize - last;
    last = s.afterGC.heapStatistics.usedHeapSize;
  }
  return total + used1 - last;
}

/**
 * Marks a pair end as `stableChunks`, as node:net sockets are: the session then
 * hands out views into received chunks instead of copies, as over TCP. Valid
 * here because sessions only write fresh slab copies that nobody reuses.
 */
function stable(c: Conduit): Conduit {
  return {
    info: c.info,
    stableChunks: true,
    write: (chunk) => c.write(chunk),
    attach: (events) => c.attach(events),
    pause: () => c.pause(),
    resume: () => c.resume(),
    close: (error) => c.close(error),
    get closed() {
      return c.closed;
    },
  };
}

async function pair(): Promise<{ client: Session; server: Session }> {
  const [a, b] = createConduitPair().map(stable) as [Conduit, Conduit];
  const server = createSession(b, {
    role: 'server',
    methods: ['echo'],
    window: 65_536,
    maxConcurrentHandlers: 65_536,
    keepalive: false,
    handler: READ_SIGNAL
      ? (call: IncomingCall) => (call.signal.aborted ? undefined : call.input)
      : (call: IncomingCall) => call.input,
  });
  const client = createSession(a, { role: 'client', window: 65_536, keepalive: false });
  await client.ready;
  return { client, server };
}

/** Keeps `inflight` calls outstanding until `total` completed. */
function drive(client: Session, payload: unknown, inflight: number, total: number): Promise<void> {
  let started = 0;
  let completed = 0;
  return new Promise((resolve, reject) => {
    const done = (): void => {
      completed++;
      if (started < total) one();
      else if (completed === total) resolve();
    };
    const one = (): void => {
      started++;
      client.call('echo', payload).then(done, reject);
    };
    for (let i = 0; i < inflight && started < total; i++) one();
  });
}

interface Row {
  payload: string;
  inflight: number;
  cpu: number;
  bytes: number;
  gcs: number;
  perSec: number;
}

async function cell(
  client: Session,
  name: string,
  payload: unknown,
  inflight: number,
): Promise<Row> {
  await drive(client, payload, inflight, Math.min(CALLS, 20_000)); // warm-up
  gc!();
  gc!();
  const profiler = new GCProfiler();
  const heap0 = process.memoryUsage().heapUsed;
  profiler.start();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await drive(client, payload, inflight, CALLS);
  const t1 = performance.now();
  const cu = process.cpuUsage(cpu0);
  const heap1 = process.memoryUsage().heapUsed;
  const stats = profiler.stop();
  return {
    payload: name,
    inflight,
    cpu: (cu.user + cu.system) / CALLS,
    bytes: allocated(heap0, heap1, stats) / CALLS,
    gcs: stats?.statistics.length ?? 0,
    perSec: CALLS / ((t1 - t0) / 1000),
  };
}

async function main(): Promise<void> {
  const { client, server } = await pair();
  const rows: Row[] = [];
  const blob = Buffer.alloc(64, 7);
  const object = { id: 12345, name: 'switchyard', tags: ['a', 'b'], ok: true };
  for (const inflight of INFLIGHT) {
    rows.push(await cell(client, '64 B blob', blob, inflight));
    rows.push(await cell(client, 'object', object, inflight));
  }
  client.close();
  server.close();
  console.log('payload    in flight  calls/s    CPU µs/call  heap B/call  GCs');
  for (const r of rows) {
    console.log(
      `${r.payload.padEnd(9)}  ${String(r.inflight).padStart(9)}  ${Math.round(r.perSec)
        .toString()
        .padStart(
          8,
        )}  ${r.cpu.toFixed(2).padStart(11)}  ${r.bytes.toFixed(0).padStart(11)}  ${String(r.gcs).padStart(3)}`,
    );
  }
  console.log(JSON.stringify({ bench: 'stream/session', calls: CALLS, rows }));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
