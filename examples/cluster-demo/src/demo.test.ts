import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/**
 * Runs the demo end to end, as `pnpm demo` does, with a shorter workload:
 * three processes, REST/WS/TCP clients, the leader killed, the check.
 */
describe('cluster demo', () => {
  it('survives the leader being killed with no acknowledged write lost', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN], {
      env: { ...process.env, DEMO_DURATION_MS: '7000', DEMO_KILL_AT_MS: '2500' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    const timer = setTimeout(() => child.kill('SIGINT'), 100_000);
    try {
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      expect(out, out).toContain('lost acknowledged writes: 0');
      expect(out).toMatch(/killing the Raft leader n\d/);
      expect(out).toMatch(/linearizability: ok/);
      expect(out).toMatch(/^rest\s+\d+/m);
      expect(out).toMatch(/^ws\s+\d+/m);
      expect(out).toMatch(/^tcp\s+\d+/m);
      expect(code).toBe(0);
    } finally {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
