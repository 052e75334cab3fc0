/**
 * QUIC vs TCP echo through the same edge, in one run: one call at a time and
 * pipelined (16 in flight). 64-byte payloads. Prints a table, the QUIC/TCP
 * ratios, and ends with one JSON line (CONTRIBUTING.md).
 *
 *   pnpm --filter @switchyard/quic bench
 */
import { createEdge, method, service, silentLogger, streamGateway } from '@switchyard/core';
import type { Session } from '@switchyard/stream';
import { connectSession, listen } from '@switchyard/tcp';
import { connectQuic } from '../src/connect-quic.js';
import { quicGateway } from '../src/quic-gateway.js';
import { testTls } from '../src/test-tls.js';

const PAYLOAD = 'x'.repeat(64);
const IN_FLIGHT = 16;
// QUIC is ~20x slower per round trip here: fewer calls keep the run short.
const COUNTS = {
  tcp: { sequential: 2000, pipelined: 10_000 },
  quic: { sequential: 100, pipelined: 400 },
  'quic-control': { sequential: 100, pipelined: 400 },
};
type Transport = keyof typeof COUNTS;

const svc = service('bench', { echo: method({ handler: async (input: unknown) => input }) });

async function sequential(s: Session, n: number): Promise<{ rate: number; p50: number }> {
  const lat: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const a = performance.now();
    await s.call('bench.echo', PAYLOAD);
    lat.push(performance.now() - a);
  }
  const secs = (performance.now() - t0) / 1000;
  lat.sort((x, y) => x - y);
  return { rate: n / secs, p50: lat[Math.floor(lat.length / 2)] ?? 0 };
}

async function pipelined(s: Session, n: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < n) {
      next++;
      await s.call('bench.echo', PAYLOAD);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return n / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const tls = await testTls();
  const tcpListener = await listen({ host: '127.0.0.1', port: 0 });
  const quic = quicGateway({ host: '127.0.0.1', port: 0, tls, name: 'quic' });
  const edge = createEdge({
    services: [svc],
    gateways: [streamGateway(tcpListener, { name: 'tcp' }), quic],
    logger: silentLogger,
  });
  await edge.start();
  const sessions: Record<Transport, Session> = {
    tcp: await connectSession({ host: '127.0.0.1', port: tcpListener.address.port! }),
    quic: await connectQuic({
      host: '127.0.0.1',
      port: quic.address!.port,
      tls: { ca: tls.cert, serverName: 'localhost' },
    }),
    // The same gateway; this client sends its calls on the control stream.
    'quic-control': await connectQuic({
      host: '127.0.0.1',
      port: quic.address!.port,
      tls: { ca: tls.cert, serverName: 'localhost' },
      streamPerCall: false,
    }),
  };
  const results: { name: string; value: number; unit: string }[] = [];
  const rows: string[][] = [];
  const rates: Record<string, number> = {};
  for (const t of Object.keys(COUNTS) as Transport[]) {
    const s = sessions[t];
    await sequential(s, Math.ceil(COUNTS[t].sequential / 10)); // warm-up
    const seq = await sequential(s, COUNTS[t].sequential);
    const pipe = await pipelined(s, COUNTS[t].pipelined);
    rates[`${t}:sequential`] = seq.rate;
    rates[`${t}:pipelined`] = pipe;
    results.push(
      { name: `${t} sequential`, value: Math.round(seq.rate), unit: 'calls/s' },
      { name: `${t} sequential p50`, value: Number(seq.p50.toFixed(3)), unit: 'ms' },
      { name: `${t} pipelined x${IN_FLIGHT}`, value: Math.round(pipe), unit: 'calls/s' },
    );
    rows.push([
      t,
      Math.round(seq.rate).toString(),
      seq.p50.toFixed(3),
      Math.round(pipe).toString(),
    ]);
  }
  for (const s of Object.values(sessions)) s.close();
  await edge.shutdown({ timeout: 2000 });

  const ratios = {
    'quic/tcp:sequential': Number(
      (rates['quic:sequential']! / rates['tcp:sequential']!).toFixed(4),
    ),
    'quic/tcp:pipelined': Number((rates['quic:pipelined']! / rates['tcp:pipelined']!).toFixed(4)),
    'quic-control/tcp:sequential': Number(
      (rates['quic-control:sequential']! / rates['tcp:sequential']!).toFixed(4),
    ),
    'quic-control/tcp:pipelined': Number(
      (rates['quic-control:pipelined']! / rates['tcp:pipelined']!).toFixed(4),
    ),
  };
  console.log('64 B echo through one edge, calls/s (higher is better)');
  console.log(
    'quic = a QUIC stream per call (default); quic-control = calls on the control stream',
  );
  console.log('transport    sequential  p50 ms   pipelined x16');
  for (const r of rows) {
    console.log(
      `${r[0]!.padEnd(12)} ${r[1]!.padStart(10)} ${r[2]!.padStart(7)} ${r[3]!.padStart(15)}`,
    );
  }
  for (const [k, v] of Object.entries(ratios)) console.log(`ratio ${k}: ${v}`);
  console.log(JSON.stringify({ bench: 'quic/echo', results, ratios }));
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
