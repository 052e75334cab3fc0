import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { Session } from '@switchyard/stream';
import { connectSession } from '../src/index.js';

/** A bench client: `call(payload, done)` with a callback, so the harness adds no promise of its own. */
export interface BenchClient {
  call(payload: Buffer, done: () => void): void;
  close(): void;
}

export async function switchyardClient(port: number): Promise<BenchClient & { session: Session }> {
  const session = await connectSession(
    { host: '127.0.0.1', port },
    { window: 65_536, keepalive: false },
  );
  return {
    session,
    call(payload, done) {
      session.call('echo', payload).then(done, (e) => {
        console.error('call failed', e);
        done();
      });
    },
    close() {
      session.close();
    },
  };
}

/** The floor Node allows: length-prefixed frames over node:net, writes batched per tick. */
export async function rawClient(port: number): Promise<BenchClient> {
  const sock = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((r, j) => {
    sock.once('connect', r);
    sock.once('error', j);
  });
  sock.setNoDelay(true);
  const waiting = new Map<number, () => void>();
  let nextId = 0;
  let out: Buffer[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const b = out.length === 1 ? out[0]! : Buffer.concat(out);
    out = [];
    sock.write(b);
  };
  let pending: Buffer | undefined;
  sock.on('data', (chunk: Buffer) => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    let off = 0;
    while (buf.length - off >= 8) {
      const len = buf.readUInt32LE(off);
      if (buf.length - off < 4 + len) break;
      const id = buf.readUInt32LE(off + 4);
      off += 4 + len;
      const cb = waiting.get(id);
      waiting.delete(id);
      cb?.();
    }
    if (off < buf.length) pending = Buffer.from(buf.subarray(off));
  });
  return {
    call(payload, done) {
      const id = ++nextId >>> 0;
      const frame = Buffer.allocUnsafe(8 + payload.length);
      frame.writeUInt32LE(4 + payload.length, 0);
      frame.writeUInt32LE(id, 4);
      payload.copy(frame, 8);
      out.push(frame);
      waiting.set(id, done);
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    close() {
      sock.destroy();
    },
  };
}

export async function grpcClient(port: number): Promise<BenchClient> {
  const id = (b: Buffer): Buffer => b;
  const Ctor = grpc.makeGenericClientConstructor(
    {
      echo: {
        path: '/bench.Echo/Echo',
        requestStream: false,
        responseStream: false,
        requestSerialize: id,
        requestDeserialize: id,
        responseSerialize: id,
        responseDeserialize: id,
        originalName: 'echo',
      },
    },
    'Echo',
  );
  const client = new Ctor(
    `127.0.0.1:${port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as grpc.Client & {
    echo(req: Buffer, cb: (e: Error | null, r?: Buffer) => void): void;
  };
  await new Promise<void>((r, j) =>
    client.waitForReady(Date.now() + 5000, (e) => (e ? j(e) : r())),
  );
  return {
    call(payload, done) {
      client.echo(payload, (e) => {
        if (e) console.error('grpc call failed', e.message);
        done();
      });
    },
    close() {
      client.close();
    },
  };
}
