import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CallHandler, type Session, SwitchyardError } from '@switchyard/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Address, TlsOptions } from './address.js';
import { connect, connectSession } from './connect.js';
import { listen, type TcpListener } from './listen.js';

const handler: CallHandler = (c) => {
  if (c.method === 'echo') return c.input;
  if (c.method === 'count') {
    return (async function* () {
      for (let i = 0; i < (c.input as number); i++) yield i;
    })();
  }
  if (c.method === 'hang') return new Promise(() => {});
  throw new SwitchyardError('NOT_FOUND', c.method);
};

let dir: string;
let tlsServer: TlsOptions;
let tlsClient: TlsOptions;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'switchyard-tcp-'));
  // node:crypto cannot make certificates: a throwaway self-signed pair from the openssl CLI.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  const key = readFileSync(join(dir, 'key.pem'));
  const cert = readFileSync(join(dir, 'cert.pem'));
  tlsServer = { key, cert };
  tlsClient = { ca: cert };
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function withServer(
  address: Address,
  opts: Parameters<typeof listen>[1],
  fn: (l: TcpListener, addr: Address) => Promise<void>,
): Promise<void> {
  const l = await listen(address, opts);
  try {
    const addr: Address =
      'path' in address ? address : { host: '127.0.0.1', port: l.address.port! };
    await fn(l, addr);
  } finally {
    await l.close();
    l.destroyConnections();
  }
}

function rawSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => resolve(s));
    s.once('error', reject);
  });
}

describe.each([
  ['tcp', () => ({ address: { host: '127.0.0.1', port: 0 } as Address, server: {}, client: {} })],
  [
    'tls',
    () => ({
      address: { host: '127.0.0.1', port: 0 } as Address,
      server: { tls: tlsServer },
      client: { tls: tlsClient },
    }),
  ],
  ['unix', () => ({ address: { path: join(dir, 'sock') } as Address, server: {}, client: {} })],
])('%s transport', (name, setup) => {
  it('serves unary and streaming calls, both ways, and drains on shutdown', async () => {
    const { address, server, client } = setup();
    let serverSide: Session | undefined;
    await withServer(
      address,
      {
        ...server,
        serve: { handler, methods: ['echo', 'count', 'hang'], onSession: (s) => (serverSide = s) },
      },
      async (l, addr) => {
        const s = await connectSession(addr, {
          ...client,
          keepalive: false,
          handler: (c) => `client got ${c.input}`,
        });
        expect(s.info.transport).toBe(name);
        expect(await s.call('echo', { x: 'y' })).toEqual({ x: 'y' });
        expect(Buffer.from(await s.call<Uint8Array>('echo', Buffer.alloc(100_000, 3))).length).toBe(
          100_000,
        );
        const got: number[] = [];
        for await (const v of s.serverStream<number>('count', 1000)) got.push(v);
        expect(got).toHaveLength(1000);
        expect(await serverSide!.call('hello', 1)).toBe('client got 1');
        const e = (await s.call('nope').catch((err: unknown) => err)) as SwitchyardError;
        expect(e.code).toBe('NOT_FOUND');
        expect(l.connections).toBe(1);
        await l.shutdown();
        await s.closed;
      },
    );
  });
});

describe('tcp listener limits and bad peers', () => {
  it('rejects an HTTP request with a clear error and keeps serving others', async () => {
    const rejects: Error[] = [];
    await withServer(
      { port: 0 },
      { serve: { handler }, onReject: (e) => rejects.push(e) },
      async (l, addr) => {
        const sock = await rawSocket(l.address.port!);
        const reply = new Promise<string>((resolve) => {
          let text = '';
          sock.on('data', (d) => (text += d.toString()));
          sock.on('close', () => resolve(text));
        });
        sock.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
        expect(await reply).toMatch(/^HTTP\/1.1 400 Bad Request/);
        expect(rejects[0]!.message).toMatch(/rejected an HTTP request from 127\.0\.0\.1/);
        const s = await connectSession(addr, { keepalive: false });
        expect(await s.call('echo', 'fine')).toBe('fine');
        s.close();
      },
    );
  });

  it('random bytes are rejected at once; a flood costs bounded memory', async () => {
    const rejects: Error[] = [];
    await withServer(
      { port: 0 },
      { serve: { handler }, onReject: (e) => rejects.push(e) },
      async (l) => {
        const sock = await rawSocket(l.address.port!);
        const closed = new Promise<void>((r) => sock.on('close', () => r()));
        sock.on('error', () => {});
        // 0x00 first, then keep pushing: the server closed after byte 0 and buffered nothing.
        for (let i = 0; i < 50; i++) sock.write(Buffer.alloc(64 * 1024, i));
        await closed;
        expect(rejects[0]!.message).toMatch(/first byte 0x00/);
      },
    );
  });

  it('a binary peer sending a frame over the max is closed with GOAWAY PAYLOAD_TOO_LARGE', async () => {
    const errors: Error[] = [];
    await withServer(
      { port: 0 },
      { serve: { handler, maxFrameSize: 4096, onProtocolError: (e) => errors.push(e) } },
      async (l) => {
        const sock = await rawSocket(l.address.port!);
        sock.on('error', () => {});
        const closed = new Promise<void>((r) => sock.on('close', () => r()));
        sock.resume();
        const h = Buffer.alloc(24);
        h.writeUInt16LE(0x59f5, 0);
        h[2] = 1;
        h[3] = 1; // HELLO
        h.writeUInt32LE(1 << 30, 16); // 1 GiB body
        sock.write(h);
        await closed;
        expect(errors[0]).toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
      },
    );
  });

  it('enforces the connection limit', async () => {
    const rejects: Error[] = [];
    await withServer(
      { port: 0 },
      { maxConnections: 2, serve: { handler }, onReject: (e) => rejects.push(e) },
      async (_l, addr) => {
        const a = await connectSession(addr, { keepalive: false });
        const b = await connectSession(addr, { keepalive: false });
        const c = await connectSession(addr, { keepalive: false, connectTimeout: 2000 }).catch(
          (e) => e,
        );
        expect(c).toBeInstanceOf(SwitchyardError);
        expect(rejects.some((e) => /connection limit 2/.test(e.message))).toBe(true);
        expect(await a.call('echo', 1)).toBe(1);
        a.close();
        b.close();
      },
    );
  });

  it('closes idle connections', async () => {
    await withServer({ port: 0 }, { idleTimeout: 50, serve: { handler } }, async (_l, addr) => {
      const s = await connectSession(addr, { keepalive: false });
      await s.closed;
      expect(s.isClosed).toBe(true);
    });
  });

  it('a peer that never reads: the server stops reading it (bounded) and others are unaffected', async () => {
    await withServer(
      { port: 0 },
      { serve: { handler, maxWriteBuffer: 256 * 1024, window: 100_000 } },
      async (l, addr) => {
        const sock = await rawSocket(l.address.port!);
        sock.on('error', () => {});
        sock.pause(); // never reads
        const out: Buffer[] = [];
        const hello = Buffer.from(
          JSON.stringify({
            versions: [1],
            maxFrameSize: 1 << 22,
            window: 8,
            streamCredit: 8,
            methods: [],
          }),
        );
        const frame = (
          type: number,
          flags: number,
          codec: number,
          seq: number,
          method: string,
          body: Buffer,
        ): Buffer => {
          const name = Buffer.from(method);
          const h = Buffer.alloc(24);
          h.writeUInt16LE(0x59f5, 0);
          h[2] = 1;
          h[3] = type;
          h[4] = flags;
          h[5] = codec;
          h.writeUInt32LE(seq, 8);
          h.writeUInt32LE(method ? 0x80000000 + name.length : 0, 12);
          h.writeUInt32LE(body.length, 16);
          return Buffer.concat([h, name, body]);
        };
        out.push(frame(1, 0, 2, 0, '', hello));
        const big = Buffer.from(JSON.stringify('x'.repeat(16 * 1024)));
        for (let i = 1; i <= 2000; i++) out.push(frame(2, 0, 2, i, 'echo', big));
        sock.write(Buffer.concat(out));
        await new Promise((r) => setTimeout(r, 300));
        const s = await connectSession(addr, { keepalive: false });
        expect(await s.call('echo', 'unaffected')).toBe('unaffected');
        const m = process.memoryUsage();
        expect(m.rss).toBeLessThan(1.5 * 1024 ** 3);
        s.close();
        sock.destroy();
        void l;
      },
    );
  });

  it('connect fails with retryable UNAVAILABLE when nobody listens', async () => {
    const l = await listen({ port: 0 }, { serve: { handler } });
    const port = l.address.port!;
    await l.close();
    const e = await connect({ port }).catch((err) => err);
    expect(e).toMatchObject({ code: 'UNAVAILABLE' });
    expect(e.retryable).toBe(true);
  });

  it('TLS: a client that does not trust the certificate fails to connect; the server logs it', async () => {
    const rejects: Error[] = [];
    await withServer(
      { port: 0 },
      { tls: tlsServer, serve: { handler }, onReject: (e) => rejects.push(e) },
      async (_l, addr) => {
        const e = await connect(addr, { tls: {} }).catch((err) => err);
        expect(e).toMatchObject({ code: 'UNAVAILABLE' });
        expect(e.message).toMatch(/self[- ]signed|certificate/i);
      },
    );
  });
});
