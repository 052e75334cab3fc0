// `pnpm demo:echo`: a Switchyard TCP echo server and client in two processes,
// printing latency and throughput. (`pnpm demo` runs the cluster demo.)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const demoDir = fileURLToPath(new URL('../packages/tcp/demo/', import.meta.url));
const run = (file, args, stdio) =>
  spawn(process.execPath, ['--import', 'tsx', `${demoDir}${file}`, ...args], {
    stdio,
    cwd: demoDir,
  });

const server = run('server.ts', [], ['pipe', 'pipe', 'inherit']);
const stop = () => {
  if (server.exitCode === null) server.kill();
};
process.on('exit', stop);
process.on('SIGINT', () => process.exit(130));

const port = await new Promise((resolve, reject) => {
  let buf = '';
  server.stdout.on('data', (d) => {
    buf += d;
    const m = /PORT (\d+)/.exec(buf);
    if (m) resolve(Number(m[1]));
  });
  server.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
  setTimeout(() => reject(new Error('server did not start within 30 s')), 30_000).unref();
});
console.log(
  `switchyard demo: echo server (pid ${server.pid}) on 127.0.0.1:${port}; client in a second process`,
);

const client = run('client.ts', [String(port)], ['ignore', 'inherit', 'inherit']);
const code = await new Promise((resolve) => client.once('exit', resolve));
server.stdin.end();
await new Promise((resolve) => {
  server.once('exit', resolve);
  setTimeout(resolve, 3000).unref();
});
stop();
process.exit(code ?? 1);
