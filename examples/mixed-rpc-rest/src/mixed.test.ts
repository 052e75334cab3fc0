import { connectSession } from '@switchyard/tcp';
import { connectWs } from '@switchyard/ws';
import { type PresetEdge, silentLogger } from 'switchyard';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startServer } from './server.js';

describe('one service over REST, WebSocket (binary and text) and TCP', () => {
  let server: PresetEdge | undefined;
  let a: Record<string, string> = {};
  beforeAll(async () => {
    server = await startServer({ http: 0, ws: 0, tcp: 0 }, silentLogger);
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

  it('WebSocket, binary stream protocol', async () => {
    const s = await connectWs(`ws://${a.ws}/`);
    try {
      expect(await s.call('add', { a: 1, b: 1 })).toEqual({ sum: 2, via: 'ws' });
      const got: number[] = [];
      for await (const n of s.serverStream<number>('calc.countdown', { from: 3 })) got.push(n);
      expect(got).toEqual([3, 2, 1, 0]);
      await expect(s.call('add', { a: 'x', b: 1 })).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
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

  it('TCP', async () => {
    const [host, port] = (a.tcp as string).split(':') as [string, string];
    const s = await connectSession({ host, port: Number(port) }, { keepalive: false });
    try {
      expect(await s.call('calc.add', { a: 4, b: 5 })).toEqual({ sum: 9, via: 'tcp' });
    } finally {
      s.close();
    }
  });
});
