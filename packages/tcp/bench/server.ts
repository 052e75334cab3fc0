/**
 * Bench server, one process per implementation: `switchyard`, `raw` or `grpc`.
 * Prints `PORT <n>` on stdout once listening; exits when stdin closes.
 */
import * as net from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import * as grpc from '@grpc/grpc-js';
import type { IncomingCall } from '@switchyard/stream';
import { listen } from '../src/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function mem(): { heap: number; external: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external + m.arrayBuffers, rss: m.rss };
}

const kind = process.argv[2];
const held: (() => void)[] = [];

async function main(): Promise<number> {
  if (kind === 'switchyard') {
    const l = await listen(
      { host: '127.0.0.1', port: 0 },
      {
        idleTimeout: 0,
        maxConnections: 100_000,
        serve: {
          window: 65_536,
          maxConcurrentHandlers: 65_536,
          methods: ['echo', 'mem', 'hold', 'release'],
          handler: (c: IncomingCall) => {
            switch (c.method) {
              case 'echo':
                return c.input;
              case 'mem':
                return mem();
              case 'hold':
                return new Promise<void>((r) => held.push(r));
              case 'release':
                for (const r of held.splice(0)) r();
                return null;
              default:
                return null;
            }
          },
        },
      },
    );
    return l.address.port!;
  }
  if (kind === 'raw') {
    // Minimal length-prefixed echo: [u32 length][u32 id][payload], batched per read.
    const server = net.createServer((sock) => {
      sock.setNoDelay(true);
      let pending: Buffer | undefined;
      sock.on('data', (chunk: Buffer) => {
        let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
        pending = undefined;
        let off = 0;
        const out: Buffer[] = [];
        while (buf.length - off >= 4) {
          const len = buf.readUInt32LE(off);
          if (buf.length - off < 4 + len) break;
          out.push(buf.subarray(off, off + 4 + len));
          off += 4 + len;
        }
        if (off < buf.length) pending = Buffer.from(buf.subarray(off));
        if (out.length > 0) sock.write(out.length === 1 ? out[0]! : Buffer.concat(out));
        buf = Buffer.alloc(0);
      });
      sock.on('error', () => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return (server.address() as net.AddressInfo).port;
  }
  if (kind === 'grpc') {
    const server = new grpc.Server();
    const id = (b: Buffer): Buffer => b;
    server.addService(
      {
        echo: {
          path: '/bench.Echo/Echo',
          requestStream: false,
          responseStream: false,
          requestSerialize: id,
          requestDeserialize: id,
          responseSerialize: id,
          responseDeserialize: id,
        },
      },
      {
        echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
          cb(null, call.request),
      },
    );
    return await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, port) =>
        e ? reject(e) : resolve(port),
      ),
    );
  }
  throw new Error(`unknown server kind ${kind}`);
}

main().then(
  (port) => {
    process.stdout.write(`PORT ${port}\n`);
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
    process.stdin.on('close', () => process.exit(0));
  },
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
