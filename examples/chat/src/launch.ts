import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';

export interface ChatCluster {
  /** WebSocket URL of each node. */
  urls: string[];
  children: ChildProcess[];
  stop(): Promise<void>;
}

const SCRIPT = fileURLToPath(new URL('./chat-node.ts', import.meta.url));

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

/** Starts three chat nodes that find each other through the first. */
export async function launchChat(): Promise<ChatCluster> {
  const ports = await freePorts(6);
  const children: ChildProcess[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const t = setTimeout(() => c.kill('SIGKILL'), 4000);
            c.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
  };
  const seed = `127.0.0.1:${ports[1]}`;
  try {
    await Promise.all(
      ['c1', 'c2', 'c3'].map((id, i) => {
        const args = [SCRIPT, id, String(ports[i * 2]), String(ports[i * 2 + 1])];
        if (i > 0) args.push(seed);
        const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
          stdio: ['pipe', 'pipe', 'inherit'],
        });
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`${id} did not start`)), 30_000);
          child.stdout?.on('data', (c: Buffer) => {
            if (String(c).includes('READY')) {
              clearTimeout(timer);
              resolve();
            }
          });
          child.once('exit', (code) => {
            clearTimeout(timer);
            reject(new Error(`${id} exited with ${code}`));
          });
        });
      }),
    );
  } catch (error) {
    await stop();
    throw error;
  }
  return { urls: [0, 1, 2].map((i) => `ws://127.0.0.1:${ports[i * 2]}/`), children, stop };
}
