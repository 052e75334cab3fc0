import { SwitchyardError } from '@switchyard/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectWs } from './client-node.js';
import { rawClient, type Served, serve } from './test-helpers.js';

/** Status of a refused upgrade, or 101 if the socket opened. */
function upgradeStatus(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, { headers });
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.on('open', () => {
      socket.close();
      resolve({ status: 101, body: '' });
    });
    socket.on('error', () => {});
  });
}

describe('authentication hook at upgrade', () => {
  let served: Served;

  beforeAll(async () => {
    served = await serve({
      authTimeout: 300,
      authenticate: async (request) => {
        await new Promise((r) => setTimeout(r, 5));
        const token =
          request.headers.authorization ?? new URLSearchParams(request.query).get('token');
        if (token === 'slow') await new Promise((r) => setTimeout(r, 2000));
        if (token === 'banned') throw new SwitchyardError('PERMISSION_DENIED', 'banned');
        if (token === 'boom') throw new Error('hook bug');
        if (token === 'alice') return { metadata: { user: 'alice' } };
        return false;
      },
    });
  });

  afterAll(async () => {
    await served?.close();
  });

  it('answers 401 without credentials, before any socket opens', async () => {
    const before = served.gateway.stats.connections;
    const { status, body } = await upgradeStatus(served.url);
    expect(status).toBe(401);
    expect(JSON.parse(body)).toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(served.gateway.stats.connections).toBe(before);
  });

  it('answers with the status of a SwitchyardError the hook throws', async () => {
    expect((await upgradeStatus(served.url, { authorization: 'banned' })).status).toBe(403);
  });

  it('answers 401 when the hook itself fails, without leaking its error', async () => {
    const { status, body } = await upgradeStatus(served.url, { authorization: 'boom' });
    expect(status).toBe(401);
    expect(body).not.toMatch(/hook bug/);
  });

  it('answers 503 when the hook is too slow', async () => {
    expect((await upgradeStatus(served.url, { authorization: 'slow' })).status).toBe(503);
  });

  it('accepts and hands the hook metadata to every call (binary and text)', async () => {
    const session = await connectWs(`${served.url}?token=alice`, { reconnect: false });
    await expect(session.call('greeter.hello', { name: 'x' })).resolves.toEqual({
      msg: 'hi x from alice',
    });
    // A client cannot override what the hook set.
    await expect(
      session.call('greeter.hello', { name: 'y' }, { metadata: { user: 'mallory' } }),
    ).resolves.toEqual({ msg: 'hi y from alice' });
    session.close();

    const c = await rawClient(served.url, { headers: { authorization: 'alice' } });
    c.socket.send(
      JSON.stringify({
        id: 1,
        method: 'greeter.hello',
        input: { name: 't' },
        metadata: { user: 'eve' },
      }),
    );
    expect(await c.next((m) => m.id === 1)).toEqual({ id: 1, result: { msg: 'hi t from alice' } });
    c.socket.close();
  });

  it('connectWs rejects with a clear error when the upgrade is refused', async () => {
    await expect(connectWs(served.url, { reconnect: false })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });
});
