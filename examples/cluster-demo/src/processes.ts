import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { NodeConfig } from './node.js';

/** Free TCP ports on 127.0.0.1, held open together so none is handed out twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<import('node:net').Server>((resolve, reject) => {
          const s = createServer();
          s.once('error', reject);
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface NodeProcess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  /** Last lines the node wrote to stderr (bounded), for error reports. */
  readonly log: string[];
  alive: boolean;
}

const NODE_SCRIPT = fileURLToPath(new URL('./node.ts', import.meta.url));
const MAX_LOG_LINES = 40;

/** Spawns one node process; `ready` resolves on its READY line, rejects if it exits first. */
export function spawnNode(config: NodeConfig, startTimeout = 30_000): NodeProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', NODE_SCRIPT, JSON.stringify(config)], {
    // stdin stays a pipe: when this process dies, the node sees EOF and stops.
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const log: string[] = [];
  const proc: NodeProcess = { id: config.id, child, ready: Promise.resolve(), log, alive: true };
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) {
      if (line.length === 0) continue;
      log.push(line);
      if (log.length > MAX_LOG_LINES) log.shift();
    }
  });
  child.on('exit', () => {
    proc.alive = false;
  });
  (proc as { ready: Promise<void> }).ready = new Promise<void>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new Error(`${config.id} did not start in ${startTimeout} ms`)),
      startTimeout,
    );
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      if (buf.includes('READY ')) {
        clearTimeout(timer);
        resolve();
      }
      if (buf.length > 4096) buf = buf.slice(-1024);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(
          `${config.id} exited before it was ready (code ${code}, signal ${signal})\n${log.join('\n')}`,
        ),
      );
    });
  });
  proc.ready.catch(() => {});
  return proc;
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when every process has exited. */
export async function stopAll(procs: readonly NodeProcess[], graceMs = 3000): Promise<void> {
  await Promise.all(
    procs.map(
      (p) =>
        new Promise<void>((resolve) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
          const t = setTimeout(() => p.child.kill('SIGKILL'), graceMs);
          p.child.once('exit', () => {
            clearTimeout(t);
            resolve();
          });
          p.child.kill('SIGTERM');
        }),
    ),
  );
}

/** Synchronous last resort (process 'exit' handler): kill whatever still runs. */
export function killAllNow(procs: readonly NodeProcess[]): void {
  for (const p of procs) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      try {
        p.child.kill('SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}
