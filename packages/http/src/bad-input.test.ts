import { connect, type Socket } from 'node:net';
import {
  type Context,
  createEdge,
  type Edge,
  method,
  rest,
  service,
  silentLogger,
} from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HttpGateway, httpGateway } from './http-gateway.js';

const BODY_LIMIT = 64 * 1024;

let created = 0;
let slowStarted: (() => void) | undefined;
let slowAborted: ((code: string) => void) | undefined;
const firehose = { pulled: 0, closed: 0 };

const svc = service('bad', {
  echo: method({
    input: z.object({ id: z.string() }),
    selectors: [rest('GET', '/echo/:id')],
    handler: ({ id }) => ({ id }),
  }),
  create: method({
    input: z.object({ name: z.string() }),
    selectors: [rest('POST', '/items')],
    handler: ({ name }) => {
      created++;
      return { name };
    },
  }),
  slow: method({
    selectors: [rest('GET', '/slow')],
    handler: (_input: unknown, ctx: Context) =>
      new Promise((_resolve, reject) => {
        slowStarted?.();
        ctx.signal.addEventListener('abort', () => {
          slowAborted?.((ctx.signal.reason as { code: string }).code);
          reject(ctx.signal.reason);
        });
      }),
  }),
  firehose: method({
    kind: 'server-stream',
    selectors: [rest('GET', '/firehose')],
    handler: async function* () {
      const chunk = 'y'.repeat(16 * 1024);
      try {
        for (;;) {
          firehose.pulled++;
          yield chunk;
        }
      } finally {
        firehose.closed++;
      }
    },
  }),
  big: method({
    selectors: [rest('GET', '/big')],
    handler: () => ({ data: 'z'.repeat(8 * 1024 * 1024) }),
  }),
});

let edge: Edge;
let gateway: HttpGateway;
let port: number;

beforeAll(async () => {
  gateway = httpGateway({
    host: '127.0.0.1',
    port: 0,
    bodyLimit: BODY_LIMIT,
    sse: { stallTimeout: 1500 },
  });
  edge = createEdge({ services: [svc], gateways: [gateway], logger: silentLogger });
  await edge.start();
  port = gateway.port;
});

afterAll(async () => {
  await edge.shutdown({ timeout: 2000 });
});

/** Polls until `check` holds; fails after `ms`. Keeps every wait bounded. */
async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends raw bytes and collects everything until the server closes (bounded). */
function exchange(
  parts: (string | Buffer)[],
  ms = 5000,
): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text: Buffer.concat(chunks).toString(), closed: false });
    }, ms);
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text: Buffer.concat(chunks).toString(), closed: true });
    });
    socket.once('connect', () => {
      for (const part of parts) socket.write(part);
    });
    socket.once('error', reject);
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
}

function bodyOf(text: string): unknown {
  return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
}

describe('bad input gets a clear answer', () => {
  it('malformed JSON → 400', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": "a",',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: 'INVALID_ARGUMENT', message: 'malformed JSON body' });
  });

  it('malformed msgpack → 400', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack' },
      body: Buffer.from([0xc1, 0xc1]),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      code: 'INVALID_ARGUMENT',
      message: 'malformed msgpack body',
    });
  });

  it('a JSON body that is not an object on a URL with parameters → 400', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/items?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '[1,2]',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/must be an object/);
  });

  it('wrong content type → 415, missing content type → 415', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await fetch(`http://127.0.0.1:${port}/items`, {
        method: 'POST',
        headers: { 'content-type': type },
        body: 'name=a',
      });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { code: string }).code).toBe('UNSUPPORTED_MEDIA_TYPE');
    }
    const raw = await exchange(['POST /items HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}']);
    expect(statusOf(raw.text)).toBe(415);
    expect(created).toBe(0);
  });

  it('declared oversized body → 413 before the body is sent, then close', async () => {
    const raw = await exchange([
      `POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${BODY_LIMIT + 1}\r\n\r\n`,
    ]);
    expect(statusOf(raw.text)).toBe(413);
    expect(bodyOf(raw.text)).toEqual({
      code: 'PAYLOAD_TOO_LARGE',
      message: `request body exceeds ${BODY_LIMIT} bytes`,
    });
    expect(raw.closed).toBe(true);
  });

  it('chunked body growing past the limit → 413 and close, nothing dispatched', async () => {
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const frame = Buffer.concat([
      Buffer.from(`${chunk.length.toString(16)}\r\n`),
      chunk,
      Buffer.from('\r\n'),
    ]);
    const raw = await exchange([
      'POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n',
      ...Array.from({ length: 6 }, () => frame),
    ]);
    expect(statusOf(raw.text)).toBe(413);
    expect(raw.closed).toBe(true);
    expect(created).toBe(0);
  });

  it('chunked body within the limit is read', async () => {
    const body = JSON.stringify({ name: 'chunky' });
    const raw = await exchange([
      'POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n',
      `${(5).toString(16)}\r\n${body.slice(0, 5)}\r\n`,
      `${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`,
    ]);
    expect(statusOf(raw.text)).toBe(200);
    expect(bodyOf(raw.text)).toEqual({ name: 'chunky' });
    created = 0;
  });

  it('invalid content-length: the parser drops the connection, nothing is dispatched', async () => {
    const raw = await exchange([
      'POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1e3\r\n\r\n',
    ]);
    // uWS refuses the header itself and closes; the gateway never sees the request.
    expect(raw.closed).toBe(true);
    expect(raw.text).toBe('');
    expect(created).toBe(0);
  });

  it('unknown route → JSON 404', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/no/such/route?x=1`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      code: 'NOT_FOUND',
      message: 'no route for GET /no/such/route',
    });
  });

  it('HEAD answered without the handler (404, 405, 406, health) keeps the server and the connection up', async () => {
    // Regression: uWS's endWithoutBody(length) left these pending, which uWS
    // punishes by aborting the process when it happens inside a route callback.
    const socket = await open();
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
    });
    const heads = [
      'HEAD /no/such HTTP/1.1\r\nhost: x\r\n\r\n',
      'HEAD /items HTTP/1.1\r\nhost: x\r\n\r\n',
      'HEAD /echo/1 HTTP/1.1\r\nhost: x\r\naccept: text/html\r\n\r\n',
      'HEAD /health HTTP/1.1\r\nhost: x\r\n\r\n',
      'HEAD /echo/1 HTTP/1.1\r\nhost: x\r\n\r\n',
    ];
    socket.write(`${heads.join('')}GET /echo/last HTTP/1.1\r\nhost: x\r\n\r\n`);
    await until(() => text.endsWith('{"id":"last"}'));
    socket.destroy();
    const statuses = [...text.matchAll(/^HTTP\/1\.1 (\d{3})/gm)].map((m) => Number(m[1]));
    expect(statuses).toEqual([404, 405, 406, 200, 200, 200]);
    // Each HEAD states the length its GET would have, and sends no body.
    expect(text.match(/content-length: \d+/gi)).toHaveLength(6);
    expect(text.split('{').length - 1).toBe(1);
  });

  it('garbage instead of HTTP gets no answer and disturbs nobody else', async () => {
    // uWS answers nothing and drops it at its idle timeout; we only wait a moment.
    const raw = await exchange([Buffer.from([0, 1, 2, 3, 255, 254, 13, 10, 13, 10])], 300);
    expect(raw.text).toBe('');
    const res = await fetch(`http://127.0.0.1:${port}/echo/ok`);
    expect(res.status).toBe(200);
  });
});

describe('disconnects and slow clients', () => {
  it('a client that disconnects mid-body is forgotten; nothing is dispatched', async () => {
    const socket = await open();
    socket.write(
      'POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"name":',
    );
    await until(() => gateway.inFlight === 1);
    socket.destroy();
    await until(() => gateway.inFlight === 0);
    expect(created).toBe(0);
    const res = await fetch(`http://127.0.0.1:${port}/echo/after`);
    expect(await res.json()).toEqual({ id: 'after' });
  });

  it("a client that disconnects aborts the handler's AbortSignal with CANCELLED", async () => {
    const started = new Promise<void>((r) => {
      slowStarted = r;
    });
    const aborted = new Promise<string>((r) => {
      slowAborted = r;
    });
    const socket = await open();
    socket.write('GET /slow HTTP/1.1\r\nhost: x\r\n\r\n');
    await started;
    socket.destroy();
    expect(await aborted).toBe('CANCELLED');
    await until(() => gateway.inFlight === 0 && edge.inFlight === 0);
  });

  it('a client that never reads a stream stalls only its own producer, then is dropped', async () => {
    const socket = await open();
    socket.pause();
    socket.write('GET /firehose HTTP/1.1\r\nhost: x\r\n\r\n');
    // The producer runs until the socket buffers are full, then waits.
    await until(() => firehose.pulled > 10);
    let last = -1;
    await until(() => {
      const settled = firehose.pulled === last;
      last = firehose.pulled;
      return settled;
    });
    // Bounded by the kernel's socket buffers (~250 events of 16 KiB here) plus one
    // event in uWS; an unbounded writer would have produced many thousands.
    expect(firehose.pulled).toBeLessThan(1024);
    expect(firehose.closed).toBe(0);
    // Everybody else is served meanwhile.
    const others = await Promise.all(
      Array.from({ length: 20 }, (_, i) => fetch(`http://127.0.0.1:${port}/echo/${i}`)),
    );
    expect(others.every((r) => r.status === 200)).toBe(true);
    // The stall timeout (1.5 s here) closes the stream and ends the producer.
    await until(() => firehose.closed === 1, 8000);
    await until(() => gateway.inFlight === 0);
    socket.destroy();
  });

  it('a client that disconnects from a stream ends the producer', async () => {
    const before = firehose.closed;
    const socket = await open();
    socket.write('GET /firehose HTTP/1.1\r\nhost: x\r\n\r\n');
    await new Promise((r) => socket.once('data', r));
    socket.destroy();
    await until(() => firehose.closed === before + 1);
    await until(() => gateway.inFlight === 0);
  });

  it('a client that never reads a large response does not block others', async () => {
    const socket = await open();
    socket.pause();
    socket.write('GET /big HTTP/1.1\r\nhost: x\r\n\r\n');
    const res = await fetch(`http://127.0.0.1:${port}/echo/x`);
    expect(res.status).toBe(200);
    socket.destroy();
    await until(() => gateway.inFlight === 0);
  });

  it('1,000 concurrent connections opening and closing', async () => {
    const N = 1000;
    const results = await Promise.all(
      Array.from({ length: N }, (_, i) =>
        i % 4 === 3
          ? // A quarter connect and leave without a request.
            open().then((s) => {
              s.destroy();
              return 'left';
            })
          : exchange(
              [`GET /echo/c${i} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`],
              15_000,
            ).then((r) =>
              statusOf(r.text) === 200 && r.text.endsWith(`{"id":"c${i}"}`) ? 'ok' : r.text,
            ),
      ),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(750);
    expect(results.filter((r) => r === 'left')).toHaveLength(250);
    await until(() => gateway.inFlight === 0);
    const res = await fetch(`http://127.0.0.1:${port}/echo/still-up`);
    expect(res.status).toBe(200);
  });
});
