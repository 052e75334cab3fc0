/** Demo client: latency one call at a time, throughput with 256 in flight, and one NDJSON call. */
import * as net from 'node:net';
import { connectSession } from '../src/index.js';

const port = Number(process.argv[2]);
const session = await connectSession({ host: '127.0.0.1', port });
const payload = Buffer.alloc(64, 1);

const lat: number[] = [];
for (let i = 0; i < 3000; i++) {
  const t0 = performance.now();
  await session.call('echo', payload);
  lat.push((performance.now() - t0) * 1000);
}
lat.sort((a, b) => a - b);
const pct = (p: number): string => (lat[Math.floor(lat.length * p)] ?? 0).toFixed(0);
console.log(
  `sequential   64 B echo: p50 ${pct(0.5)} µs, p99 ${pct(0.99)} µs over ${lat.length} calls`,
);

const seconds = 2;
let done = 0;
const start = performance.now();
const end = start + seconds * 1000;
await new Promise<void>((resolve) => {
  let running = 0;
  const one = (): void => {
    running++;
    session.call('echo', payload).then(() => {
      running--;
      done++;
      if (performance.now() < end) one();
      else if (running === 0) resolve();
    });
  };
  for (let i = 0; i < 256; i++) one();
});
const rate = done / ((performance.now() - start) / 1000);
console.log(
  `pipelined    64 B echo, 256 in flight: ${Math.round(rate).toLocaleString('en-US')} calls/s`,
);

// The same port speaks NDJSON for humans: what `nc 127.0.0.1 PORT` would see.
const line = await new Promise<string>((resolve, reject) => {
  const sock = net.connect({ host: '127.0.0.1', port }, () =>
    sock.write('{"id":1,"method":"echo","input":"hello from text mode"}\n'),
  );
  sock.once('data', (d) => {
    resolve(d.toString().trim());
    sock.destroy();
  });
  sock.once('error', reject);
});
console.log(`text mode    → {"id":1,"method":"echo","input":"hello from text mode"}  ← ${line}`);
session.close();
