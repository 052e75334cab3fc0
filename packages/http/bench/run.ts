/**
 * HTTP echo bench: Switchyard vs raw uWebSockets.js vs fastify, each server in
 * its own process, driven by wrk (-t1 -c100). Rounds are interleaved so that
 * load from other work on a shared machine hits every server alike; medians
 * are reported, and each ratio is the median of per-round ratios. Env: BENCH_ROUNDS (5), BENCH_SECONDS (4), BENCH_CONNECTIONS (100).
 *
 * Besides req/s (what the targets are stated in) it reports requests per
 * server CPU-second, read from /proc: on a shared machine throughput swings
 * with other people's load, while CPU cost per request mostly does not.
 */

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 100);
const PATH = '/echo/abc123';
const EXPECTED = JSON.stringify({ id: 'abc123' });

interface Server {
  name: string;
  file: string;
  env?: Record<string, string>;
  child?: ChildProcess;
  port?: number;
  rps: number[];
  p99: number[];
  perCpu: number[];
}

const servers: Server[] = [
  { name: 'switchyard', file: 'server-switchyard.ts', rps: [], p99: [], perCpu: [] },
  {
    name: 'switchyard+zod',
    file: 'server-switchyard.ts',
    env: { BENCH_SCHEMA: 'zod' },
    rps: [],
    p99: [],
    perCpu: [],
  },
  { name: 'uws', file: 'server-uws.ts', rps: [], p99: [], perCpu: [] },
  { name: 'fastify', file: 'server-fastify.ts', rps: [], p99: [], perCpu: [] },
  // Optional reference (BENCH_ASYNC_FLOOR=1): raw uWS answering a microtask later.
  ...(process.env.BENCH_ASYNC_FLOOR === '1'
    ? [{ name: 'uws-async', file: 'server-uws-async.ts', rps: [], p99: [], perCpu: [] }]
    : []),
];

function hasWrk(): boolean {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only ENOENT means missing.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT';
  }
}

function ensureWrk(): void {
  if (hasWrk()) return;
  console.error('wrk not found: installing it from Debian packages (apt-get install -y wrk)');
  execFileSync('sh', ['-c', 'apt-get update -qq && apt-get install -y -qq wrk'], {
    stdio: 'inherit',
  });
  if (!hasWrk()) throw new Error('could not install wrk');
}

function startServer(server: Server): Promise<void> {
  const file = fileURLToPath(new URL(server.file, import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production', ...server.env },
  });
  server.child = child;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${server.name}: no PORT in 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${server.name} exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const match = /^PORT (\d+)$/.exec(line);
      if (match?.[1] === undefined) return;
      clearTimeout(timer);
      server.port = Number(match[1]);
      resolve();
    });
  });
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  return n;
}

/** utime + stime of a process, in seconds (Linux only; NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function runWrk(port: number, seconds: number): { rps: number; p99: number; total: number } {
  const out = execFileSync(
    'wrk',
    ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', `http://127.0.0.1:${port}${PATH}`],
    { encoding: 'utf8' },
  );
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = Number(/(\d+) requests in/.exec(out)?.[1]);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(out);
  const errors = /Non-2xx or 3xx responses: (\d+)|Socket errors: (.*)/.exec(out);
  if (errors) console.error(`wrk reported: ${errors[0]}`);
  if (rps?.[1] === undefined || p99?.[1] === undefined || p99[2] === undefined) {
    throw new Error(`cannot parse wrk output:\n${out}`);
  }
  return { rps: Number(rps[1]), p99: toMs(p99[1], p99[2]), total };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The raw bytes of one response to the bench request, minus the Date header. */
function rawResponse(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete response from port ${port}`));
    }, 5000);
    socket.on('error', reject);
    socket.on('data', (d) => {
      text += d.toString();
      if (!text.endsWith(EXPECTED)) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(text.replace(/^date: .*\r\n/im, ''));
    });
    socket.write(`GET ${PATH} HTTP/1.1\r\nhost: bench\r\n\r\n`);
  });
}

async function main(): Promise<void> {
  ensureWrk();
  try {
    for (const server of servers) await startServer(server);
    for (const server of servers) {
      const res = await fetch(`http://127.0.0.1:${server.port}${PATH}`);
      const body = await res.text();
      if (res.status !== 200 || body !== EXPECTED) {
        throw new Error(`${server.name} answered ${res.status} ${body}`);
      }
      runWrk(server.port!, 2); // warm-up: JIT and connection setup
    }
    // Fairness: every uWS-based server must send the very same bytes (status
    // line, headers, body) as raw uWS, or the ratio measures different work.
    const reference = await rawResponse(servers.find((s) => s.name === 'uws')!.port!);
    for (const server of servers) {
      if (server.name === 'fastify') continue;
      const response = await rawResponse(server.port!);
      if (response !== reference) {
        throw new Error(
          `${server.name} sends other bytes than raw uWS:\n${response}\n---\n${reference}`,
        );
      }
    }
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no server always runs first or last.
      for (let i = 0; i < servers.length; i++) {
        const server = servers[(round + i) % servers.length]!;
        const cpu0 = cpuSeconds(server.child?.pid);
        const { rps, p99, total } = runWrk(server.port!, SECONDS);
        const perCpu = total / (cpuSeconds(server.child?.pid) - cpu0);
        server.rps.push(rps);
        server.p99.push(p99);
        server.perCpu.push(perCpu);
        console.error(
          `round ${round + 1}/${ROUNDS} ${server.name}: ${Math.round(rps)} req/s, ` +
            `p99 ${p99} ms, ${Math.round(perCpu)} req per CPU-second`,
        );
      }
    }
  } finally {
    for (const server of servers) server.child?.kill();
  }

  const byName = new Map(
    servers.map((s) => [
      s.name,
      { rps: median(s.rps), p99: median(s.p99), perCpu: median(s.perCpu) },
    ]),
  );
  console.log(
    `\nGET ${PATH}, wrk -t1 -c${CONNECTIONS} -d${SECONDS}s, median of ${ROUNDS} interleaved rounds`,
  );
  console.log('server            req/s    p99 ms   req/CPU-s');
  for (const [name, r] of byName) {
    console.log(
      `${name.padEnd(15)} ${String(Math.round(r.rps)).padStart(8)}  ${r.p99.toFixed(2).padStart(8)}` +
        `  ${String(Math.round(r.perCpu)).padStart(10)}`,
    );
  }
  // Each ratio is the median of per-round ratios: a round runs the servers back
  // to back, so slow swings in background load cancel out of each pair.
  const byServer = new Map(servers.map((s) => [s.name, s]));
  const paired = (a: string, b: string, metric: 'rps' | 'p99' | 'perCpu'): number => {
    const x = byServer.get(a)![metric];
    const y = byServer.get(b)![metric];
    return Number(median(x.map((value, i) => value / y[i]!)).toFixed(3));
  };
  const ratios = {
    'switchyard/uws': paired('switchyard', 'uws', 'rps'),
    'switchyard/fastify': paired('switchyard', 'fastify', 'rps'),
    'switchyard/uws p99': paired('switchyard', 'uws', 'p99'),
    'switchyard/uws per-cpu': paired('switchyard', 'uws', 'perCpu'),
    'switchyard/fastify per-cpu': paired('switchyard', 'fastify', 'perCpu'),
    'switchyard+zod/uws': paired('switchyard+zod', 'uws', 'rps'),
    'switchyard+zod/uws per-cpu': paired('switchyard+zod', 'uws', 'perCpu'),
  };
  console.log(
    `ratios: switchyard/uws ${ratios['switchyard/uws']} (target >= 0.85), ` +
      `switchyard/fastify ${ratios['switchyard/fastify']} (target >= 2.5), ` +
      `p99 switchyard/uws ${ratios['switchyard/uws p99']} (target <= 1.5); per CPU-second: ` +
      `switchyard/uws ${ratios['switchyard/uws per-cpu']}, ` +
      `switchyard/fastify ${ratios['switchyard/fastify per-cpu']}; with a zod schema: ` +
      `switchyard+zod/uws ${ratios['switchyard+zod/uws']} (per CPU-second ` +
      `${ratios['switchyard+zod/uws per-cpu']})`,
  );
  const results = [...byName].flatMap(([name, r]) => [
    { name, value: Math.round(r.rps), unit: 'req/s' },
    { name: `${name} p99`, value: Number(r.p99.toFixed(3)), unit: 'ms' },
    { name: `${name} per CPU-second`, value: Math.round(r.perCpu), unit: 'req/cpu-s' },
  ]);
  console.log(JSON.stringify({ bench: 'http/echo', results, ratios }));
}

main().catch((error: unknown) => {
  for (const server of servers) server.child?.kill();
  console.error(error);
  process.exit(1);
});
