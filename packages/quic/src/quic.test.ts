import { QUICClient } from '@matrixai/quic';
import { createClient, createEdge, type Edge, silentLogger, streamGateway } from '@switchyard/core';
import { createSession, type Session, SwitchyardError } from '@switchyard/stream';
import { connectSession, listen } from '@switchyard/tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeConformanceService } from './conformance.js';
import { connectQuic } from './connect-quic.js';
import { loadQuic } from './load-quic.js';
import { QuicConduit } from './quic-conduit.js';
import { type QuicGateway, quicGateway } from './quic-gateway.js';
import { clientCrypto, quietLogger } from './quic-support.js';
import type { QuicConnectionLike } from './quic-types.js';
import { type TestTls, testTls } from './test-tls.js';

let tls: TestTls;
let edge: Edge;
let gateway: QuicGateway;
let port: number;
const rejects: Error[] = [];
const { svc } = makeConformanceService();
const cleanups: (() => unknown)[] = [];

beforeAll(async () => {
  tls = await testTls();
  // A small stream limit so that admission control is exercised with few calls.
  gateway = quicGateway({
    host: '127.0.0.1',
    port: 0,
    tls,
    maxStreams: 4,
    keepalive: false,
    onReject: (e) => rejects.push(e),
  });
  edge = createEdge({ services: [svc], gateways: [gateway], logger: silentLogger });
  await edge.start();
  port = gateway.address!.port;
});

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await edge.shutdown({ timeout: 1000 });
});

function connect(
  extra: Parameters<typeof connectQuic>[0] extends infer O ? Partial<O> : never = {},
) {
  return connectQuic({
    host: '127.0.0.1',
    port,
    tls: { ca: tls.cert, serverName: 'localhost' },
    keepalive: false,
    ...extra,
  }).then((s) => {
    cleanups.push(() => s.close());
    return s;
  });
}

/** A raw @matrixai/quic client, for peers that misbehave below the session. */
async function rawClient(): Promise<QUICClient> {
  const client = await QUICClient.createQUICClient({
    host: '127.0.0.1',
    port,
    serverName: 'localhost',
    crypto: clientCrypto(),
    config: { verifyPeer: true, ca: tls.cert, applicationProtos: ['switchyard'] },
    // `any` on purpose: structural logger (see quic-support.ts)
    logger: quietLogger() as any,
  });
  cleanups.push(() => client.destroy({ force: true }).catch(() => {}));
  return client;
}

/** A session whose conduit the test holds (to pause it or open raw streams beside it). */
async function sessionWithConduit(): Promise<{
  session: Session;
  conduit: QuicConduit;
  client: QUICClient;
}> {
  const client = await rawClient();
  const conduit = new QuicConduit(client.connection as unknown as QuicConnectionLike, {
    role: 'client',
    maxFrameSize: 1 << 20,
    streamWaitTimeout: 5000,
    maxWaitingStreams: 64,
    highWaterMark: 1 << 20,
  });
  const session = createSession(conduit, { role: 'client', keepalive: false });
  cleanups.push(() => session.close());
  await session.ready;
  return { session, conduit, client };
}

describe('loading @matrixai/quic', () => {
  it('explains what to install when the optional peer is missing', async () => {
    const missing = Object.assign(new Error("Cannot find package '@matrixai/quic'"), {
      code: 'ERR_MODULE_NOT_FOUND',
    });
    const err = (await loadQuic(() => Promise.reject(missing)).catch((e) => e)) as SwitchyardError;
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err.code).toBe('FAILED_PRECONDITION');
    expect(err.message).toContain('pnpm add @matrixai/quic@^2.0.9');
    expect(err.message).toContain('Cannot find package');
    await expect(loadQuic(async () => ({ nothing: true }))).rejects.toThrow(/QUICServer/);
  });

  it('loads the real module lazily and reuses it', async () => {
    const a = await loadQuic();
    expect(typeof a.QUICServer).toBe('function');
    expect(await loadQuic()).toBe(a);
  });

  it('rejects bad options with clear errors', async () => {
    expect(() => quicGateway({ tls: { key: '', cert: '' } })).toThrow(/tls.key and tls.cert/);
    await expect(connectQuic({ port: 0 })).rejects.toThrow(/port must be/);
    await expect(
      quicGateway({ tls: { key: 'k', cert: 'c' }, maxStreams: -1 }).start({} as never),
    ).rejects.toThrow(/maxStreams must be a positive/);
  });
});

describe('TLS', () => {
  it('refuses a server whose certificate is not trusted, then still serves good clients', async () => {
    const untrusted = await connectQuic({ host: '127.0.0.1', port, connectTimeout: 3000 }).catch(
      (e) => e,
    );
    expect(untrusted).toBeInstanceOf(SwitchyardError);
    expect(untrusted.code).toBe('UNAVAILABLE');
    expect(untrusted.message).toMatch(/TLS handshake failed/);
    const wrongName = await connectQuic({
      host: '127.0.0.1',
      port,
      tls: { ca: tls.cert, serverName: 'example.org' },
      connectTimeout: 3000,
    }).catch((e) => e);
    expect(wrongName.code).toBe('UNAVAILABLE');
    const s = await connect();
    expect(await s.call('conf.echo', 'ok')).toBe('ok');
  });
});

describe('per-call QUIC streams and admission control', () => {
  it('waits for stream credit instead of failing past the peer limit', async () => {
    // maxStreams 4 on the server: 1 control + 3 calls at once; 12 calls must queue for credit.
    const s = await connect();
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => s.call('conf.slow', { ms: 20 + i })),
    );
    expect(results).toEqual(Array(12).fill('slow'));
    expect(await s.call('conf.echo', 'after')).toBe('after');
  });

  it('bounds the wait: RESOURCE_EXHAUSTED when no credit comes in time', async () => {
    const s = await connect({ streamWaitTimeout: 200 });
    const ac = new AbortController();
    const held = [1, 2, 3].map(() =>
      s.call('conf.wait', undefined, { signal: ac.signal }).catch((e) => e as SwitchyardError),
    );
    const starved = (await s.call('conf.echo', 'x').catch((e) => e)) as SwitchyardError;
    expect(starved).toBeInstanceOf(SwitchyardError);
    expect(starved.code).toBe('RESOURCE_EXHAUSTED');
    expect(starved.message).toMatch(/stream credit/);
    ac.abort();
    for (const e of (await Promise.all(held)) as SwitchyardError[])
      expect(e.code).toBe('CANCELLED');
    // Credit returns once the cancelled streams are closed on both sides.
    let ok: unknown;
    for (let i = 0; i < 20 && ok !== 'x'; i++) {
      ok = await s.call('conf.echo', 'x').catch((e) => e);
    }
    expect(ok).toBe('x');
  });

  it('carries each call on its own QUIC stream and closes it when the call ends', async () => {
    const { session, conduit } = await sessionWithConduit();
    const ac = new AbortController();
    const a = session.call('conf.wait', undefined, { signal: ac.signal }).catch((e) => e);
    const b = session.call('conf.wait', undefined, { signal: ac.signal }).catch((e) => e);
    await waitFor(() => conduit.callStreams === 2);
    expect(await session.call('conf.echo', 1)).toBe(1);
    ac.abort();
    await Promise.all([a, b]);
    // CANCEL leaves with the next batched write; then both streams are released.
    await waitFor(() => conduit.callStreams === 0);
  });
});

describe('bad input', () => {
  it('rejects garbage on the control stream and keeps serving others', async () => {
    const client = await rawClient();
    const stream = client.connection.newStream();
    const writer = stream.writable.getWriter();
    const before = rejects.length;
    await writer.write(new TextEncoder().encode('\x00\x01garbage that is not a frame'));
    await waitFor(() => rejects.length > before);
    expect(rejects.at(-1)?.message).toMatch(/neither the Switchyard magic/);
    await waitFor(() => client.connection.closed || client.closed);
    const s = await connect();
    expect(await s.call('conf.echo', 'alive')).toBe('alive');
  });

  it('answers garbage on a call stream with a protocol error that closes only that connection', async () => {
    const { session, client } = await sessionWithConduit();
    const pending = session.call('conf.wait').catch((e) => e as SwitchyardError);
    const stream = client.connection.newStream();
    const writer = stream.writable.getWriter();
    await writer.write(new Uint8Array([0xf5, 0x59, 9, 9, 9, 9, 9, 9, 1, 2, 3]));
    await writer.write(new Uint8Array(24).fill(0xee));
    await session.closed;
    expect(((await pending) as SwitchyardError).code).toBe('UNAVAILABLE');
    const s = await connect();
    expect(await s.call('conf.echo', 'alive')).toBe('alive');
  });

  it('caps incomplete frames parked across many streams', async () => {
    const gw = quicGateway({
      host: '127.0.0.1',
      port: 0,
      tls,
      maxFrameSize: 2048,
      keepalive: false,
    });
    const e4 = createEdge({ services: [svc], gateways: [gw], logger: silentLogger });
    await e4.start();
    try {
      const client = await QUICClient.createQUICClient({
        host: '127.0.0.1',
        port: gw.address!.port,
        serverName: 'localhost',
        crypto: clientCrypto(),
        config: { verifyPeer: true, ca: tls.cert, applicationProtos: ['switchyard'] },
        logger: quietLogger() as any,
      });
      cleanups.push(() => client.destroy({ force: true }).catch(() => {}));
      // Each stream: a header announcing a 2000-byte body, then only part of it.
      const partial = new Uint8Array(2000);
      const v = new DataView(partial.buffer);
      v.setUint16(0, 0x59f5, true);
      v.setUint8(2, 1);
      v.setUint8(3, 2);
      v.setUint32(16, 2000, true);
      for (let i = 0; i < 5; i++) {
        const w = client.connection.newStream().writable.getWriter();
        await w.write(partial);
        w.releaseLock();
      }
      // 5 × 2000 bytes > 4 × 2048: the server closes the connection.
      await waitFor(() => client.connection.closed || client.closed);
      expect(e4.connections).toBe(0);
    } finally {
      await e4.shutdown({ timeout: 1000 });
    }
  });

  it('survives a peer that stops reading: its calls time out, others are served', async () => {
    const { session, conduit } = await sessionWithConduit();
    conduit.pause();
    const big = 'x'.repeat(32 * 1024);
    const stuck = await Promise.all(
      [1, 2, 3].map(() =>
        session.call('conf.echo', big, { timeout: 300 }).catch((e) => e as SwitchyardError),
      ),
    );
    for (const e of stuck as SwitchyardError[]) expect(e.code).toBe('DEADLINE_EXCEEDED');
    const other = await connect();
    expect(await other.call('conf.echo', 'served')).toBe('served');
    conduit.resume();
    expect(await session.call('conf.echo', 'back')).toBe('back');
  });
});

describe('NDJSON text mode on the control stream', () => {
  it('answers a JSON line sent as the first bytes of stream 0', async () => {
    const client = await rawClient();
    const stream = client.connection.newStream();
    const writer = stream.writable.getWriter();
    await writer.write(
      new TextEncoder().encode('{"id":1,"method":"conf.echo","input":{"hi":1}}\n'),
    );
    const reader = stream.readable.getReader();
    let text = '';
    while (!text.includes('\n')) {
      const { done, value } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect(JSON.parse(text.split('\n')[0]!)).toEqual({ id: 1, result: { hi: 1 } });
    reader.releaseLock();
  });
});

describe('idle timeout', () => {
  it('closes a silent connection and fails its session with UNAVAILABLE', async () => {
    const s = await connect({ idleTimeout: 300 });
    expect(await s.call('conf.echo', 1)).toBe(1);
    await s.closed;
    await expect(s.call('conf.echo', 2)).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('one edge, several transports', () => {
  it('serves the same service over TCP and QUIC at once (as a mixed edge would)', async () => {
    const { svc: svc3 } = makeConformanceService();
    const tcp = await listen({ host: '127.0.0.1', port: 0 });
    const gw = quicGateway({ host: '127.0.0.1', port: 0, tls, keepalive: false });
    const e3 = createEdge({
      services: [svc3],
      gateways: [streamGateway(tcp, { name: 'tcp', keepalive: false }), gw],
      logger: silentLogger,
    });
    await e3.start();
    try {
      const overTcp = await connectSession({ host: '127.0.0.1', port: tcp.address.port! });
      const overQuic = await connectQuic({
        host: '127.0.0.1',
        port: gw.address!.port,
        tls: { ca: tls.cert, serverName: 'localhost' },
      });
      for (const s of [overTcp, overQuic]) {
        const client = createClient<typeof svc3>(s);
        expect(await client.conf.echo({ via: s.info.transport })).toEqual({
          via: s.info.transport,
        });
      }
      expect(overQuic.info.transport).toBe('quic');
      overTcp.close();
      overQuic.close();
    } finally {
      await e3.shutdown({ timeout: 1000 });
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight calls, then refuses new connections', async () => {
    const { svc: svc2 } = makeConformanceService();
    const gw = quicGateway({ host: '127.0.0.1', port: 0, tls, keepalive: false });
    const e2 = createEdge({ services: [svc2], gateways: [gw], logger: silentLogger });
    await e2.start();
    const p2 = gw.address!.port;
    const s = await connectQuic({
      host: '127.0.0.1',
      port: p2,
      tls: { ca: tls.cert, serverName: 'localhost' },
      keepalive: false,
    });
    const inFlight = s.call('conf.slow', { ms: 200 });
    await new Promise((r) => setTimeout(r, 50));
    const down = e2.shutdown({ timeout: 3000 });
    expect(await inFlight).toBe('slow');
    await down;
    await s.closed;
    const late = await connectQuic({
      host: '127.0.0.1',
      port: p2,
      tls: { ca: tls.cert, serverName: 'localhost' },
      connectTimeout: 1000,
    }).catch((e) => e);
    expect(late).toBeInstanceOf(SwitchyardError);
    expect(late.code).toBe('UNAVAILABLE');
  });
});

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
