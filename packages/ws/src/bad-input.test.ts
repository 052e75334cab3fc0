import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectWs } from './client-node.js';
import {
  maskedFrame,
  rawClient,
  rawUpgrade,
  type Served,
  serve,
  streamFrames,
  until,
} from './test-helpers.js';

describe('bad input against a real server', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({ maxMessageSize: 4096 });
  });

  afterAll(async () => {
    await served?.close();
  });

  it('closes with 1009 on an oversized binary message', async () => {
    const c = await rawClient(served.url);
    c.socket.send(new Uint8Array(5000));
    const closed = await c.closed;
    expect(closed.code).toBe(1009);
    expect(closed.reason).toMatch(/too big/);
  });

  it('closes with 1009 on an oversized text message', async () => {
    const c = await rawClient(served.url);
    c.socket.send('x'.repeat(5000));
    expect((await c.closed).code).toBe(1009);
  });

  it('closes with 1002 and a reason on bytes that are not stream frames', async () => {
    const c = await rawClient(served.url);
    c.socket.send(Buffer.from('this is not a switchyard frame at all, just bytes'));
    const closed = await c.closed;
    expect(closed.code).toBe(1002);
    expect(closed.reason).toMatch(/magic/);
  });

  it('closes with 1002 on an invalid frame after a good HELLO', async () => {
    const frames = await streamFrames();
    const c = await rawClient(served.url);
    c.socket.send(frames.hello);
    const bad = Buffer.from(frames.request(1, 'greeter.echo', new Uint8Array(4)));
    bad[3] = 99; // no such frame type
    c.socket.send(bad);
    const closed = await c.closed;
    expect(closed.code).toBe(1002);
    expect(closed.reason.length).toBeGreaterThan(0);
  });

  it('keeps serving other connections while one misbehaves', async () => {
    const good = await connectWs(served.url, { reconnect: false });
    const c = await rawClient(served.url);
    c.socket.send(Buffer.from('garbage garbage garbage garbage'));
    await c.closed;
    await expect(good.call('greeter.hello', { name: 'ok' })).resolves.toEqual({ msg: 'hi ok' });
    good.close();
  });
});

describe('a client that never reads', () => {
  let served: Served;
  const LIMIT = 256 * 1024;

  beforeAll(async () => {
    served = await serve({ maxMessageSize: LIMIT, maxBackpressure: LIMIT });
  });

  afterAll(async () => {
    await served?.close();
  });

  it('is cut off with bounded server memory while others are served', async () => {
    const frames = await streamFrames();
    const good = await connectWs(served.url, { reconnect: false });
    const socket = await rawUpgrade(served.gateway.port);
    socket.on('error', () => {});
    socket.write(maskedFrame(frames.hello));
    const payload = new Uint8Array(64 * 1024).fill(7);
    let maxBuffered = 0;
    const sample = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, served.gateway.stats.bufferedBytes);
    }, 5);
    // ~20 MB of echo requests: far more than loopback socket buffers hold.
    for (let seq = 1; seq <= 300; seq++) {
      socket.write(maskedFrame(frames.request(seq, 'greeter.echo', payload)));
      if (seq % 50 === 0) {
        // Others are unaffected meanwhile.
        await expect(good.call('greeter.hello', { name: `g${seq}` })).resolves.toEqual({
          msg: `hi g${seq}`,
        });
      }
    }
    await until(() => served.gateway.stats.connections === 1, 15_000);
    clearInterval(sample);
    // uWS holds at most maxBackpressure plus the one message that crossed it.
    expect(maxBuffered).toBeLessThanOrEqual(LIMIT + 512 * 1024);
    await expect(good.call('greeter.hello', { name: 'after' })).resolves.toEqual({
      msg: 'hi after',
    });
    socket.destroy();
    good.close();
  });
});

describe('connection limits', () => {
  it('answers 503 past maxConnections, before the socket opens', async () => {
    const served = await serve({ maxConnections: 2 });
    try {
      const a = await rawClient(served.url);
      const b = await rawClient(served.url);
      const status = await new Promise<number>((resolve, reject) => {
        const c = new WebSocket(served.url);
        c.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        c.on('open', () => reject(new Error('third connection opened')));
        c.on('error', () => {});
      });
      expect(status).toBe(503);
      a.socket.close();
      b.socket.close();
    } finally {
      await served.close();
    }
  });

  it('limits calls in flight per connection (text mode) and tells text clients about a drain', async () => {
    const served = await serve({ maxInFlight: 2 });
    try {
      const c = await rawClient(served.url);
      for (const id of [1, 2, 3]) {
        c.socket.send(JSON.stringify({ id, method: 'greeter.slow', input: { ms: 200 } }));
      }
      expect(await c.next((m) => m.id === 3)).toMatchObject({
        error: { code: 'RESOURCE_EXHAUSTED' },
      });
      expect(await c.next((m) => m.id === 1)).toEqual({ id: 1, result: 'done' });
      const closing = served.close();
      expect(await c.next((m) => m.goaway === true)).toEqual({ goaway: true });
      await closing;
      expect((await c.closed).code).toBe(1001);
    } finally {
      await served.close();
    }
  });

  it('handles 1,000 concurrent connections opening and closing', async () => {
    const served = await serve();
    try {
      const N = 1000;
      const sockets = await Promise.all(
        Array.from(
          { length: N },
          () =>
            new Promise<WebSocket>((resolve, reject) => {
              const s = new WebSocket(served.url, { perMessageDeflate: false });
              s.once('open', () => resolve(s));
              s.once('error', reject);
            }),
        ),
      );
      await until(() => served.gateway.stats.connections === N);
      expect(served.edge.connections).toBe(N);
      // Every tenth one makes a call in text mode while all are open.
      const replies = await Promise.all(
        sockets
          .filter((_, i) => i % 10 === 0)
          .map(
            (s, i) =>
              new Promise<unknown>((resolve) => {
                s.once('message', (data) => resolve(JSON.parse(String(data))));
                s.send(
                  JSON.stringify({ id: i, method: 'greeter.hello', input: { name: `c${i}` } }),
                );
              }),
          ),
      );
      expect(replies).toHaveLength(N / 10);
      for (const s of sockets) s.close();
      await until(() => served.gateway.stats.connections === 0);
      await until(() => served.edge.connections === 0);
    } finally {
      await served.close();
    }
  });
});
