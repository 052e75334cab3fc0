import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../test/real-node.ts', import.meta.url));
const key = randomBytes(32).toString('hex');

interface Proc {
  name: string;
  child: ChildProcess;
  addr: string;
  view: Map<string, string>;
}

const procs: Proc[] = [];

function start(name: string, seeds: string[]): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, name, seeds.join(',')], {
    env: { ...process.env, GOSSIP_KEY: key },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const p: Proc = { name, child, addr: '', view: new Map() };
  procs.push(p);
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        i = buf.indexOf('\n');
        try {
          const msg = JSON.parse(line) as { ready?: string; view?: [string, string][] };
          if (msg.ready) {
            p.addr = msg.ready;
            resolve(p);
          }
          if (msg.view) p.view = new Map(msg.view);
        } catch {
          // not ours
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code})`)));
  });
}

async function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return pred();
}

function sees(p: Proc, expect: Record<string, string>): boolean {
  return Object.entries(expect).every(([n, s]) => p.view.get(n) === s);
}

afterAll(() => {
  for (const p of procs) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGCONT');
      p.child.kill('SIGKILL');
    }
  }
});

describe('real cluster on 127.0.0.1 (5 processes)', () => {
  it('joins, detects SIGKILL, sees a graceful leave, survives SIGSTOP/SIGCONT', async () => {
    const first = await start('r0', []);
    const rest = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((n) => start(n, [first.addr])));
    const all = [first, ...rest];
    const everyoneAlive = Object.fromEntries(all.map((p) => [p.name, 'alive']));
    expect(await waitFor(() => all.every((p) => sees(p, everyoneAlive)), 20_000)).toBe(true);

    const [r0, r1, r2, r3, r4] = all as [Proc, Proc, Proc, Proc, Proc];
    r1.child.kill('SIGKILL');
    r3.child.stdin?.write('leave\n');
    r2.child.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 3_000));
    r2.child.kill('SIGCONT');

    const want = { r0: 'alive', r1: 'dead', r2: 'alive', r3: 'left', r4: 'alive' };
    const ok = await waitFor(() => [r0, r2, r4].every((p) => sees(p, want)), 25_000);
    if (!ok) {
      for (const p of [r0, r2, r4]) console.log(p.name, JSON.stringify([...p.view]));
    }
    expect(ok).toBe(true);
    expect(r3.child.exitCode ?? (await new Promise((r) => r3.child.once('exit', r)))).toBe(0);
  }, 70_000);
});
