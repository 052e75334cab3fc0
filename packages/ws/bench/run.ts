/**
 * WebSocket echo bench: Switchyard RPC echo vs raw uWS echo vs a `ws` server
 * echo, 64-byte payloads, 10 connections, 1 and 256 in flight per connection.
 * Each server runs in its own process; one lean client process drives it.
 * Rounds are interleaved and the median is reported (the machine is shared).
 *
 *   pnpm --filter @switchyard/ws bench      (env: ROUNDS=3 MEASURE_MS=3000 WARMUP_MS=1000)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

interface ServerSpec {
  name: 'switchyard' | 'switchyard-1msg' | 'uws' | 'ws';
  file: string;
  mode: 'echo' | 'rpc' | 'rpc-packed';
}

const ALL_SERVERS: ServerSpec[] = [
  // How connectWs talks: the requests of one turn packed in one WebSocket message.
  { name: 'switchyard', file: here('./servers/switchyard-echo.ts'), mode: 'rpc-packed' },
  // One request per WebSocket message, the shape the raw baselines use: shows
  // what uWS's per-message cost does to Switchyard when a client never packs.
  { name: 'switchyard-1msg', file: here('./servers/switchyard-echo.ts'), mode: 'rpc' },
  { name: 'uws', file: here('./servers/uws-echo.ts'), mode: 'echo' },
  { name: 'ws', file: here('./servers/ws-echo.ts'), mode: 'echo' },
];
// SERVERS=switchyard,uws and IN_FLIGHT=256 narrow a run while investigating.
const only = process.env.SERVERS?.split(',');
const SERVERS = only ? ALL_SERVERS.filter((s) => only.includes(s.name)) : ALL_SERVERS;
const IN_FLIGHT = process.env.IN_FLIGHT?.split(',').map(Number) ?? [1, 256];
const CONNECTIONS = 10;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const WARMUP_MS = Number(process.env.WARMUP_MS ?? 1000);
const MEASURE_MS = Number(process.env.MEASURE_MS ?? 3000);

function node(file: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

function firstLine(child: ChildProcess, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('timed out waiting for child output')),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      lines.close();
      resolve(line);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited with ${code} before printing`));
    });
  });
}

interface Sample {
  /** Replies per second: RPC RESPONSE frames (switchyard) or echoed messages (baselines). */
  perSec: number;
  /** Server CPU time per reply, µs (user + system, from /proc). */
  cpuUs: number;
  /** Replies per outgoing WebSocket message (1 for the echo baselines). */
  packing: number;
}

async function runOne(server: ServerSpec, inFlight: number): Promise<Sample> {
  const child = node(server.file, []);
  try {
    const line = await firstLine(child, 30_000);
    const port = /^PORT (\d+)$/.exec(line)?.[1];
    if (port === undefined) throw new Error(`${server.name}: unexpected line ${line}`);
    const client = node(here('./lean-client.ts'), [
      port,
      server.mode,
      String(CONNECTIONS),
      String(inFlight),
      String(WARMUP_MS),
      String(MEASURE_MS),
      String(child.pid),
    ]);
    const result = JSON.parse(await firstLine(client, WARMUP_MS + MEASURE_MS + 30_000)) as {
      msgsPerSec: number;
      repliesPerWsMessage: number;
      serverCpuUsPerReply?: number;
    };
    return {
      perSec: result.msgsPerSec,
      cpuUs: result.serverCpuUsPerReply ?? Number.NaN,
      packing: result.repliesPerWsMessage,
    };
  } finally {
    child.stdin?.end();
    const exited = new Promise((r) => child.once('exit', r));
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const samples = new Map<string, Sample[]>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const inFlight of IN_FLIGHT) {
      for (const server of SERVERS) {
        const key = `${server.name}@${inFlight}`;
        const sample = await runOne(server, inFlight);
        process.stderr.write(
          `round ${round + 1}/${ROUNDS} ${key}: ${Math.round(sample.perSec)} replies/s, ` +
            `server ${sample.cpuUs.toFixed(2)} µs CPU/reply, ${sample.packing.toFixed(1)} replies/message\n`,
        );
        samples.set(key, [...(samples.get(key) ?? []), sample]);
      }
    }
  }
  const pick = (name: string, inFlight: number, field: keyof Sample): number =>
    median((samples.get(`${name}@${inFlight}`) ?? []).map((s) => s[field]));
  const value = (name: string, inFlight: number): number => pick(name, inFlight, 'perSec');

  const results: { name: string; value: number; unit: string }[] = [];
  console.log(
    `\nWebSocket echo, 64 B, ${CONNECTIONS} connections, median of ${ROUNDS}: replies/s ` +
      '(switchyard: RPC RESPONSE frames; baselines: echoed messages) and server CPU µs per reply\n',
  );
  console.log(
    `${'server'.padEnd(16)}${IN_FLIGHT.map((n) => `${n} in flight`.padStart(16) + 'CPU µs'.padStart(9)).join('')}`,
  );
  for (const server of SERVERS) {
    const cells = IN_FLIGHT.map((n) => {
      const v = value(server.name, n);
      const cpu = pick(server.name, n, 'cpuUs');
      results.push({ name: `${server.name} inflight=${n}`, value: Math.round(v), unit: 'msgs/s' });
      results.push({
        name: `${server.name} inflight=${n} server cpu`,
        value: Math.round(cpu * 100) / 100,
        unit: 'µs/reply',
      });
      return String(Math.round(v)).padStart(16) + cpu.toFixed(2).padStart(9);
    });
    console.log(`${server.name.padEnd(16)}${cells.join('')}`);
  }
  const ratio = (a: string, b: string, n: number): number =>
    Math.round((value(a, n) / value(b, n)) * 100) / 100;
  console.log('');
  for (const n of IN_FLIGHT) {
    console.log(
      `in flight ${n}: switchyard/uws ${ratio('switchyard', 'uws', n)}  switchyard/ws ${ratio('switchyard', 'ws', n)}` +
        `  (one request per message: switchyard-1msg/uws ${ratio('switchyard-1msg', 'uws', n)}` +
        `  switchyard-1msg/ws ${ratio('switchyard-1msg', 'ws', n)})`,
    );
  }
  for (const n of IN_FLIGHT) {
    const cpu = (a: string, b: string): number =>
      Math.round((pick(a, n, 'cpuUs') / pick(b, n, 'cpuUs')) * 100) / 100;
    console.log(
      `in flight ${n}: server CPU per reply switchyard/uws ${cpu('switchyard', 'uws')}  switchyard/ws ${cpu('switchyard', 'ws')}  (lower is better)`,
    );
  }
  console.log(
    JSON.stringify({
      bench: 'ws/echo',
      results,
      ratios: {
        'switchyard/uws': ratio('switchyard', 'uws', 256),
        'switchyard/ws': ratio('switchyard', 'ws', 256),
        'switchyard-1msg/uws': ratio('switchyard-1msg', 'uws', 256),
        'switchyard-1msg/ws': ratio('switchyard-1msg', 'ws', 256),
      },
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
