import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KvNodeConfig } from './kv-node.js';

export interface KvCluster {
  nodes: { id: string; http: string; tcp: string; child: ChildProcess }[];
  /** Graceful restart of one node (SIGTERM: hand-off and drain; then the same data dir and ports). */
  restart(id: string): Promise<void>;
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./kv-node.ts', import.meta.url));

async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
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

/** Starts three kv-node processes with data under a temp dir; `stop()` ends them and removes it. */
export async function launchKvCluster(): Promise<KvCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-kv-'));
  const ids = ['n1', 'n2', 'n3'];
  const ports = await freePorts(12);
  const at = (i: number, k: number): number => ports[i * 4 + k] as number;
  const raftPeers = Object.fromEntries(ids.map((id, i) => [id, `127.0.0.1:${at(i, 3)}`]));
  const children: ChildProcess[] = [];
  const start = (config: KvNodeConfig): Promise<ChildProcess> => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(child);
    return new Promise<ChildProcess>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${config.id} did not start`)), 30_000);
      child.stdout?.on('data', (c: Buffer) => {
        if (String(c).includes('READY')) {
          clearTimeout(timer);
          resolve(child);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${config.id} exited with ${code}`));
      });
    });
  };
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const configs = ids.map(
      (id, i): KvNodeConfig => ({
        id,
        dir: join(dir, id),
        host: '127.0.0.1',
        ports: { http: at(i, 0), tcp: at(i, 1), cluster: at(i, 2), raft: at(i, 3) },
        raftPeers,
        seeds: ids.filter((o) => o !== id).map((o) => `127.0.0.1:${at(ids.indexOf(o), 2)}`),
      }),
    );
    const nodes = await Promise.all(
      configs.map(async (config) => ({
        id: config.id,
        http: `127.0.0.1:${config.ports.http}`,
        tcp: `127.0.0.1:${config.ports.tcp}`,
        child: await start(config),
      })),
    );
    await waitForLeader(
      nodes.map((n) => n.http),
      15_000,
    );
    const restart = async (id: string): Promise<void> => {
      const node = nodes.find((n) => n.id === id);
      const config = configs.find((c) => c.id === id);
      if (node === undefined || config === undefined) throw new Error(`no node ${id}`);
      await new Promise<void>((resolve) => {
        if (node.child.exitCode !== null || node.child.signalCode !== null) return resolve();
        node.child.once('exit', () => resolve());
        node.child.kill('SIGTERM');
      });
      node.child = await start(config);
    };
    return { nodes, restart, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Resolves once every node reports the same Raft leader. */
async function waitForLeader(https: readonly string[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const leaders = await Promise.all(
      https.map((h) =>
        fetch(`http://${h}/cluster`)
          .then((r) => r.json() as Promise<{ leaders: Record<string, string | null> }>)
          .then((t) => t.leaders.kv ?? null)
          .catch(() => null),
      ),
    );
    if (leaders[0] && leaders.every((l) => l === leaders[0])) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no Raft leader elected in time');
}
