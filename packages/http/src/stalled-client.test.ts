import { connect, type Socket } from 'node:net';
import { createEdge, type Edge, method, rest, service, silentLogger } from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpGateway, httpGateway } from './http-gateway.js';

// Clients that open a connection, send part of a request and stop. Two layers
// bound them: the gateway's requestTimeout once the headers are in (the
// gateway then owns the request), and uWS's idle timeout before that (uWS
// has not handed the request to anyone yet). The tests wait for the outcome
// with generous bounds and assert what happened, never how long it took.

const REQUEST_TIMEOUT = 300;
let dispatched = 0;

const svc = service('stall', {
  create: method({
    selectors: [rest('POST', '/items')],
    handler: (input) => {
      dispatched++;
      return input;
    },
  }),
  ping: method({ selectors: [rest('GET', '/ping')], handler: () => ({ pong: true }) }),
});

let edge: Edge;
let gateway: HttpGateway;

beforeAll(async () => {
  gateway = httpGateway({ host: '127.0.0.1', port: 0, requestTimeout: REQUEST_TIMEOUT });
  edge = createEdge({ services: [svc], gateways: [gateway], logger: silentLogger });
  await edge.start();
});

afterAll(async () => {
  await edge.shutdown({ timeout: 2000 });
});

interface Stalled {
  socket: Socket;
  /** Everything the server sent until it closed the connection. */
  closed: Promise<string>;
}

/** Opens a connection and sends `partial`, then nothing more. */
function stall(partial: string): Promise<Stalled> {
  return new Promise((resolve, reject) => {
    const socket = connect(gateway.port, '127.0.0.1');
    let text = '';
    socket.on('data', (d) => {
      text += d.toString();
    });
    socket.on('error', () => {});
    const closed = new Promise<string>((done) => socket.on('close', () => done(text)));
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(partial);
      resolve({ socket, closed });
    });
  });
}

/** Resolves with `promise`, or rejects after `ms` (every wait is bounded). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
  });
  return Promise.race([promise, limit]).finally(() => clearTimeout(timer));
}

describe('a client that sends part of a request and stalls', () => {
  it('mid-body: answered 504 DEADLINE_EXCEEDED and closed; nothing dispatched', async () => {
    const client = await stall(
      'POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{"na',
    );
    const text = await within(client.closed, 10_000, 'stalled body');
    expect(text).toMatch(/^HTTP\/1\.1 504 /);
    expect(text).toMatch(/connection: close/i);
    expect(text).toContain('"code":"DEADLINE_EXCEEDED"');
    expect(dispatched).toBe(0);
    expect(gateway.inFlight).toBe(0);
  });

  it('headers declared, no body byte sent: the same 504 and close', async () => {
    const client = await stall(
      'POST /items HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10\r\n\r\n',
    );
    const text = await within(client.closed, 10_000, 'stalled before the body');
    expect(text).toMatch(/^HTTP\/1\.1 504 /);
    expect(dispatched).toBe(0);
    expect(gateway.inFlight).toBe(0);
  });

  it("mid-headers: dropped by uWS's idle timeout without an answer; others are served meanwhile", async () => {
    // uWS closes an HTTP connection after ~10 s without a complete request
    // (checked on a 4 s tick, so 10–14 s); the gateway never sees it.
    const client = await stall('GET /ping HTTP/1.1\r\nhost: x\r\nx-half: ');
    const others = await fetch(`http://127.0.0.1:${gateway.port}/ping`);
    expect(await others.json()).toEqual({ pong: true });
    expect(gateway.inFlight).toBe(0);
    const text = await within(client.closed, 25_000, 'stalled headers');
    expect(text).toBe('');
  }, 30_000);
});
