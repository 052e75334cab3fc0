/**
 * Spawns kv-server.ts processes on 127.0.0.1 (for the real-process test and
 * the benchmark) and gives clients to them. Every child is killed by `stop()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Session } from '@switchyard/stream';
import { connectSession } from '@switchyard/tcp';

const here = dirname(fileURLToPath(import.meta.url));

export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<ReturnType<typeof createServer>>((resolve) => {
          const s = createServer();
          s.listen(0, '127.0.0.1', () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

export interface ProcessCluster {
  readonly ids: string[];
  readonly clientPorts: Record<string, number>;
  readonly dir: string;
  start(id: string): Promise<void>;
  signal(id: string, sig: NodeJS.Signals): void;
  isRunning(id: string): boolean;
  stop(): Promise<void>;
}

export async function startProcessCluster(
  ids: string[],
  extra: Record<string, unknown> = {},
): Promise<ProcessCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'raft-proc-'));
  const ports = await freePorts(ids.length * 2);
  const peers: Record<string, string> = {};
  const clientPorts: Record<string, number> = {};
  ids.forEach((id, i) => {
    peers[id] = `127.0.0.1:${ports[i * 2]}`;
    clientPorts[id] = ports[i * 2 + 1] as number;
  });
  const procs = new Map<string, ChildProcess>();
  const start = (id: string) =>
    new Promise<void>((resolve, reject) => {
      const cfg = { id, peers, clientPort: clientPorts[id], dir: join(dir, id), ...extra };
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', join(here, 'kv-server.ts'), JSON.stringify(cfg)],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      procs.set(id, child);
      let out = '';
      const timer = setTimeout(() => reject(new Error(`${id} did not start: ${out}`)), 30_000);
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        if (out.includes(`READY ${id}`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stderr?.on('data', (b: Buffer) => {
        out += b.toString();
        if (process.env.RAFT_DEBUG) process.stderr.write(`[${id}] ${b}`);
      });
      child.on('exit', () => clearTimeout(timer));
    });
  await Promise.all(ids.map(start));
  return {
    ids,
    clientPorts,
    dir,
    start,
    signal(id, sig) {
      procs.get(id)?.kill(sig);
    },
    isRunning(id) {
      const p = procs.get(id);
      return p !== undefined && p.exitCode === null && p.signalCode === null;
    },
    async stop() {
      const exits: Promise<unknown>[] = [];
      for (const p of procs.values()) {
        if (p.exitCode !== null || p.signalCode !== null) continue;
        exits.push(new Promise((r) => p.once('exit', r)));
        p.kill('SIGCONT');
        p.kill('SIGKILL');
      }
      await Promise.all(exits);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sessions to every node, reconnected on demand; calls go to a given node. */
export class KvClients {
  private readonly sessions = new Map<string, Session>();
  private readonly connecting = new Map<string, Promise<Session>>();

  constructor(private readonly ports: Record<string, number>) {}

  async session(id: string): Promise<Session> {
    const s = this.sessions.get(id);
    if (s && !s.isClosed && !s.draining) return s;
    let p = this.connecting.get(id);
    if (!p) {
      p = connectSession(
        { host: '127.0.0.1', port: this.ports[id] as number },
        { connectTimeout: 500, keepalive: { interval: 1000, timeout: 10_000 }, window: 4096 },
      );
      this.connecting.set(id, p);
      p.then(
        (ns) => {
          this.sessions.set(id, ns);
          this.connecting.delete(id);
        },
        () => this.connecting.delete(id),
      );
    }
    return p;
  }

  async call<T>(id: string, method: string, input: unknown, timeout = 2000): Promise<T> {
    const s = await this.session(id);
    return s.call<T>(method, input, { timeout });
  }

  close(): void {
    for (const s of this.sessions.values()) s.close();
  }
}
