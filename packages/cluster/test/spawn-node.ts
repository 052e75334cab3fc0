import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildNode {
  id: string;
  child: ChildProcess;
  tcp: number;
  ws: number;
  cluster: string;
}

const SCRIPT = fileURLToPath(new URL('./node-process.ts', import.meta.url));

/** Starts test/node-process.ts and resolves with its ports once it prints READY. */
export function spawnNode(
  id: string,
  seed: string | undefined,
  timeoutMs = 25_000,
): Promise<ChildNode> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, id, seed ?? '-'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => {
    err = (err + c).slice(-4000);
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${id} not ready in ${timeoutMs} ms\n${err}`));
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (c: string) => {
      out += c;
      const m = /READY (\{.*\})\n/.exec(out);
      if (m) {
        clearTimeout(timer);
        const r = JSON.parse(m[1] as string) as { tcp: number; ws: number; cluster: string };
        resolve({ id, child, ...r });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${id} exited (${code}) before READY\n${err}`));
    });
  });
}

export function killHard(nodes: readonly { child: ChildProcess }[]): void {
  for (const n of nodes)
    if (n.child.exitCode === null && n.child.signalCode === null) n.child.kill('SIGKILL');
}

export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}
