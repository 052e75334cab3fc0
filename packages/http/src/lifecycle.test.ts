import { connect, type Socket } from 'node:net';
import { type Context, createEdge, method, rest, service, silentLogger } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { httpGateway } from './http-gateway.js';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

let releaseSlow: (() => void) | undefined;
const aborts: string[] = [];
let foreverStarted = 0;

const svc = service('life', {
  fast: method({ selectors: [rest('GET', '/fast')], handler: () => ({ ok: true }) }),
  slow: method({
    selectors: [rest('GET', '/slow')],
    handler: () =>
      new Promise((resolve) => {
        releaseSlow = () => resolve({ finished: true });
      }),
  }),
  forever: method({
    selectors: [rest('GET', '/forever')],
    handler: (_input: unknown, ctx: Context) =>
      new Promise((_resolve, reject) => {
        foreverStarted++;
        ctx.signal.addEventListener('abort', () => {
          aborts.push((ctx.signal.reason as { code: string }).code);
          reject(ctx.signal.reason);
        });
      }),
  }),
  limited: method({
    timeout: 100,
    selectors: [rest('GET', '/limited')],
    handler: () => new Promise(() => {}),
  }),
});

function start(options: Parameters<typeof httpGateway>[0] = {}) {
  const gateway = httpGateway({ host: '127.0.0.1', port: 0, ...options });
  const edge = createEdge({ services: [svc], gateways: [gateway], logger: silentLogger });
  return { gateway, edge };
}

function rawGet(socket: Socket, path: string): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
      const head = text.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? -1);
      if (head !== -1 && length >= 0 && text.length >= head + 4 + length) {
        socket.off('data', onData);
        resolve(text);
      }
    };
    socket.on('data', onData);
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
  });
}

describe('timeouts', () => {
  it('answers 504 when the gateway request timeout passes, aborting the handler', async () => {
    const { gateway, edge } = start({ requestTimeout: 150 });
    await edge.start();
    try {
      const res = await fetch(`http://127.0.0.1:${gateway.port}/forever`);
      expect(res.status).toBe(504);
      expect(await res.json()).toEqual({ code: 'DEADLINE_EXCEEDED', message: 'request timed out' });
      expect(aborts.length).toBe(1);
      expect(gateway.inFlight).toBe(0);
    } finally {
      await edge.shutdown({ timeout: 1000 });
    }
  });

  it("answers 504 when the method's own timeout passes", async () => {
    const { gateway, edge } = start();
    await edge.start();
    try {
      const res = await fetch(`http://127.0.0.1:${gateway.port}/limited`);
      expect(res.status).toBe(504);
      expect(((await res.json()) as { code: string }).code).toBe('DEADLINE_EXCEEDED');
    } finally {
      await edge.shutdown({ timeout: 1000 });
    }
  });
});

describe('admission', () => {
  it('answers 503 past maxInFlight instead of queueing', async () => {
    const { gateway, edge } = start({ maxInFlight: 1 });
    await edge.start();
    try {
      releaseSlow = undefined;
      const slow = fetch(`http://127.0.0.1:${gateway.port}/slow`);
      while (releaseSlow === undefined) await sleep(5);
      const refused = await fetch(`http://127.0.0.1:${gateway.port}/fast`);
      expect(refused.status).toBe(503);
      expect(await refused.json()).toEqual({
        code: 'UNAVAILABLE',
        message: 'server busy: too many requests in progress',
      });
      (releaseSlow as unknown as () => void)();
      expect((await slow).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${gateway.port}/fast`)).status).toBe(200);
    } finally {
      await edge.shutdown({ timeout: 1000 });
    }
  });
});

describe('graceful shutdown', () => {
  it('stops listening, finishes in-flight requests, then closes', async () => {
    const { gateway, edge } = start();
    await edge.start();
    const port = gateway.port;
    const idle = connect(port, '127.0.0.1');
    await new Promise((r) => idle.once('connect', r));
    expect(await rawGet(idle, '/fast')).toMatch(/^HTTP\/1\.1 200/);

    releaseSlow = undefined;
    const slow = fetch(`http://127.0.0.1:${port}/slow`);
    while (releaseSlow === undefined) await sleep(5);
    const stopping = edge.shutdown({ timeout: 5000 });
    await sleep(50);

    // New connections are refused...
    await expect(fetch(`http://127.0.0.1:${port}/fast`)).rejects.toThrow();
    // ...a request on a connection that was already open gets 503, health says draining...
    const health = await rawGet(idle, '/health');
    expect(health).toMatch(/^HTTP\/1\.1 503/);
    expect(health).toContain('{"status":"draining"}');
    // ...and the request in flight still completes.
    (releaseSlow as unknown as () => void)();
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ finished: true });
    await stopping;
    idle.destroy();
  });

  it('aborts what is still running when the timeout passes', async () => {
    const { gateway, edge } = start();
    await edge.start();
    const before = aborts.length;
    const started = foreverStarted;
    const pending = fetch(`http://127.0.0.1:${gateway.port}/forever`);
    while (foreverStarted === started) await sleep(5);
    await edge.shutdown({ timeout: 300 });
    const res = await pending;
    expect(res.status).toBe(503);
    expect(((await res.json()) as { code: string }).code).toBe('UNAVAILABLE');
    expect(aborts.length).toBe(before + 1);
    expect(gateway.inFlight).toBe(0);
  });
});
