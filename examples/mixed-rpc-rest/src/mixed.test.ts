import { connect as netConnect } from 'node:net';
import { connectQuic } from '@switchyard/quic';
import { connectSession } from '@switchyard/tcp';
import { connectWs } from '@switchyard/ws';
import { createClient, type PresetEdge, silentLogger } from 'switchyard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { calc } from './calc-service.js';
import { startServer } from './server.js';
import { localhostCertificate } from './tls.js';

/** Sends one NDJSON line over a raw TCP socket and resolves with the first reply line. */
function ndjsonCall(address: string, request: unknown): Promise<unknown> {
  const [host, port] = address.split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port: Number(port) });
    let buffered = '';
    socket.setEncoding('utf8');
    socket.setTimeout(5000, () => socket.destroy(new Error('no reply within 5 s')));
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      socket.destroy();
      resolve(JSON.parse(buffered.slice(0, end)));
    });
    socket.write(`${JSON.stringify(request)}\n`);
  });
}

describe('one service over REST, WebSocket (binary and text) and TCP', () => {
  let server: PresetEdge | undefined;
  let a: Record<string, string> = {};
  let tls: { key: string; cert: string };
  beforeAll(async () => {
    tls = await localhostCertificate();
    server = await startServer({ http: 0, ws: 0, tcp: 0, quic: { port: 0, tls } }, silentLogger);
    a = server.addresses();
  });
  afterAll(async () => {
    await server?.edge.shutdown({ timeout: 1000 });
  });

  it('REST', async () => {
    const res = await fetch(`http://${a.http}/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 2, b: 3 }),
    });
    expect(await res.json()).toEqual({ sum: 5, via: 'http' });
    expect(await (await fetch(`http://${a.http}/square/7`)).json()).toEqual({
      result: 49,
      via: 'http',
    });
    const bad = await fetch(`http://${a.http}/square/seven`);
    expect(bad.status).toBe(400);
  });

  it('WebSocket, binary stream protocol, through the typed client', async () => {
    const s = await connectWs(`ws://${a.ws}/`);
    try {
      const client = createClient<typeof calc>(s);
      expect(await client.calc.add({ a: 1, b: 1 })).toEqual({ sum: 2, via: 'ws' });
      const got: number[] = [];
      for await (const n of client.calc.countdown({ from: 3 })) got.push(n);
      expect(got).toEqual([3, 2, 1, 0]);
      await expect(client.calc.add({ a: 'x' as never, b: 1 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
      // The raw session reaches the short RPC name too.
      expect(await s.call('add', { a: 2, b: 2 })).toEqual({ sum: 4, via: 'ws' });
    } finally {
      s.close();
    }
  });

  it('WebSocket, JSON text mode', async () => {
    const w = new WebSocket(`ws://${a.ws}/`);
    await new Promise((resolve, reject) => {
      w.once('open', resolve);
      w.once('error', reject);
    });
    const reply = new Promise<unknown>((resolve) =>
      w.once('message', (d) => resolve(JSON.parse(String(d)))),
    );
    w.send(JSON.stringify({ id: 7, method: 'add', input: { a: 20, b: 22 } }));
    expect(await reply).toEqual({ id: 7, result: { sum: 42, via: 'ws' } });
    w.terminate();
  });

  it('TCP, binary stream protocol, through the typed client', async () => {
    const [host, port] = (a.tcp as string).split(':') as [string, string];
    const s = await connectSession({ host, port: Number(port) }, { keepalive: false });
    try {
      const client = createClient<typeof calc>(s);
      expect(await client.calc.add({ a: 4, b: 5 })).toEqual({ sum: 9, via: 'tcp' });
      await expect(client.calc.add({ a: 4, b: 'five' as never })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    } finally {
      s.close();
    }
  });

  it('TCP, NDJSON text mode on the same port', async () => {
    const tcp = a.tcp as string;
    expect(await ndjsonCall(tcp, { id: 1, method: 'add', input: { a: 6, b: 7 } })).toEqual({
      id: 1,
      result: { sum: 13, via: 'tcp' },
    });
    expect(await ndjsonCall(tcp, { id: 2, method: 'nope', input: {} })).toMatchObject({
      id: 2,
      error: { code: 'NOT_FOUND' },
    });
  });

  it('QUIC, through the typed client', async () => {
    const [, port] = (a.quic as string).split(':') as [string, string];
    const s = await connectQuic({
      host: '127.0.0.1',
      port: Number(port),
      tls: { ca: tls.cert, serverName: 'localhost' },
      keepalive: false,
    });
    try {
      const client = createClient<typeof calc>(s);
      expect(await client.calc.add({ a: 10, b: 11 })).toEqual({ sum: 21, via: 'quic' });
      await expect(client.calc.add({ a: 'x' as never, b: 1 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    } finally {
      s.close();
    }
  });
});
