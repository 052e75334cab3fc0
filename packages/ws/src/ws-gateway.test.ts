import { createClient } from '@switchyard/core';
import { type Session, SwitchyardError } from '@switchyard/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectWs } from './client-node.js';
import { type greeter, handlerAborts, rawClient, type Served, serve } from './test-helpers.js';

let served: Served;
let session: Session;

beforeAll(async () => {
  served = await serve();
  session = await connectWs(served.url, { reconnect: false });
});

afterAll(async () => {
  session?.close();
  await served?.close();
});

describe('binary mode (stream protocol) with the typed client', () => {
  it('makes unary calls', async () => {
    const client = createClient<typeof greeter>(session);
    await expect(client.greeter.hello({ name: 'ada' })).resolves.toEqual({ msg: 'hi ada' });
  });

  it('carries many calls at once on one connection', async () => {
    const client = createClient<typeof greeter>(session);
    const names = Array.from({ length: 200 }, (_, i) => `n${i}`);
    const out = await Promise.all(names.map((name) => client.greeter.hello({ name })));
    expect(out.map((o) => o.msg)).toEqual(names.map((n) => `hi ${n}`));
  });

  it('passes server errors with their code and data', async () => {
    const client = createClient<typeof greeter>(session);
    const error = await client.greeter.fail().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SwitchyardError);
    expect((error as SwitchyardError).code).toBe('PERMISSION_DENIED');
    expect((error as SwitchyardError).data).toEqual({ why: 'test' });
  });

  it('reports validation failures and unknown methods', async () => {
    await expect(session.call('greeter.hello', { name: 42 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(session.call('nope.nothing', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('streams server-stream results', async () => {
    const client = createClient<typeof greeter>(session);
    const items: number[] = [];
    for await (const n of client.greeter.count({ to: 5 })) items.push(n);
    expect(items).toEqual([1, 2, 3, 4, 5]);
  });

  it('accepts client streams', async () => {
    const client = createClient<typeof greeter>(session);
    const call = client.greeter.sum.open();
    for (const n of [1, 2, 3, 4]) await call.send(n);
    call.end();
    await expect(call.result).resolves.toBe(10);
  });

  it('moves raw bytes through the blob', async () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    const out = await session.call<Uint8Array>('greeter.echo', bytes);
    expect(Array.from(out)).toEqual(Array.from(bytes));
  });

  it('reaches the handler with a client cancel and with a disconnect', async () => {
    const before = handlerAborts.count;
    const controller = new AbortController();
    const call = session.call('greeter.slow', { ms: 10_000 }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(call).rejects.toMatchObject({ code: 'CANCELLED' });
    await expect.poll(() => handlerAborts.count).toBe(before + 1);

    const other = await connectWs(served.url, { reconnect: false });
    const lost = other.call('greeter.slow', { ms: 10_000 });
    lost.catch(() => {});
    await new Promise((r) => setTimeout(r, 30));
    other.close();
    await expect.poll(() => handlerAborts.count).toBe(before + 2);
  });

  it('enforces the deadline the client sends', async () => {
    await expect(
      session.call('greeter.slow', { ms: 10_000 }, { timeout: 50 }),
    ).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
  });

  it('delivers a handler push and published topic values', async () => {
    const pushes: [string, unknown][] = [];
    session.onPush((topic, value) => pushes.push([topic, value]));
    await session.call('greeter.join', { room: 'lobby' });
    await session.call('greeter.say', { room: 'lobby', text: 'hello' });
    await expect.poll(() => pushes.length).toBeGreaterThanOrEqual(2);
    expect(pushes).toContainEqual(['welcome', { room: 'lobby' }]);
    expect(pushes).toContainEqual(['lobby', { text: 'hello' }]);
  });
});

describe('text mode (JSON)', () => {
  it('answers calls, errors and server streams', async () => {
    const c = await rawClient(served.url);
    c.socket.send(JSON.stringify({ id: 1, method: 'greeter.hello', input: { name: 'tx' } }));
    expect(await c.next((m) => m.id === 1)).toEqual({ id: 1, result: { msg: 'hi tx' } });

    c.socket.send(JSON.stringify({ id: 'f', method: 'greeter.fail' }));
    expect(await c.next((m) => m.id === 'f')).toEqual({
      id: 'f',
      error: { code: 'PERMISSION_DENIED', message: 'not you', data: { why: 'test' } },
    });

    c.socket.send(JSON.stringify({ id: 2, method: 'greeter.count', input: { to: 3 } }));
    const got: unknown[] = [];
    for (;;) {
      const m = await c.next((x) => x.id === 2);
      got.push(m);
      if (m.end === true || m.error !== undefined) break;
    }
    expect(got).toEqual([
      { id: 2, data: 1 },
      { id: 2, data: 2 },
      { id: 2, data: 3 },
      { id: 2, end: true },
    ]);
    c.socket.close();
  });

  it('answers garbage with an error message and keeps the connection', async () => {
    const c = await rawClient(served.url);
    c.socket.send('this is not json');
    const first = await c.next();
    expect(first).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(first.id).toBeUndefined();
    c.socket.send('[1,2,3]');
    expect(await c.next()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    c.socket.send(JSON.stringify({ id: 7, method: 42 }));
    expect(await c.next()).toMatchObject({ id: 7, error: { code: 'INVALID_ARGUMENT' } });
    c.socket.send(JSON.stringify({ id: { no: 1 }, method: 'greeter.hello' }));
    expect(await c.next()).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    c.socket.send(JSON.stringify({ id: 8, method: 'greeter.nope' }));
    expect(await c.next((m) => m.id === 8)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    c.socket.send(
      JSON.stringify({ id: 9, method: 'greeter.hello', input: { name: 'still here' } }),
    );
    expect(await c.next((m) => m.id === 9)).toEqual({ id: 9, result: { msg: 'hi still here' } });
    expect(c.socket.readyState).toBe(c.socket.OPEN);
    c.socket.close();
  });

  it('sends bytes as base64 strings', async () => {
    const c = await rawClient(served.url);
    c.socket.send(JSON.stringify({ id: 1, method: 'greeter.bytes', input: { n: 3 } }));
    expect(await c.next((m) => m.id === 1)).toEqual({ id: 1, result: 'AAEC' });
    c.socket.close();
  });

  it('cancels a running call', async () => {
    const c = await rawClient(served.url);
    c.socket.send(JSON.stringify({ id: 1, method: 'greeter.slow', input: { ms: 10_000 } }));
    c.socket.send(JSON.stringify({ cancel: 1 }));
    expect(await c.next((m) => m.id === 1)).toMatchObject({ error: { code: 'CANCELLED' } });
    c.socket.close();
  });

  it('rejects stream-input methods in text mode', async () => {
    const c = await rawClient(served.url);
    c.socket.send(JSON.stringify({ id: 1, method: 'greeter.sum' }));
    expect(await c.next((m) => m.id === 1)).toMatchObject({ error: { code: 'UNIMPLEMENTED' } });
    c.socket.close();
  });

  it('receives pushes and topics published from either mode', async () => {
    const c = await rawClient(served.url);
    c.socket.send(JSON.stringify({ id: 1, method: 'greeter.join', input: { room: 'mixed' } }));
    await c.next((m) => m.id === 1);
    expect(await c.next((m) => m.push === 'welcome')).toEqual({
      push: 'welcome',
      value: { room: 'mixed' },
    });
    // Published from a binary-mode connection, delivered to a text-mode subscriber.
    await session.call('greeter.say', { room: 'mixed', text: 'cross' });
    expect(await c.next((m) => m.push === 'mixed')).toEqual({
      push: 'mixed',
      value: { text: 'cross' },
    });
    c.socket.close();
  });

  it('closes with 1003 when a connection mixes modes', async () => {
    const c = await rawClient(served.url);
    c.socket.send(JSON.stringify({ id: 1, method: 'greeter.hello', input: { name: 'x' } }));
    await c.next((m) => m.id === 1);
    c.socket.send(new Uint8Array([1, 2, 3]));
    expect((await c.closed).code).toBe(1003);
  });
});
