import { createSession, type Session } from '@switchyard/stream';
import { afterEach, expect, it } from 'vitest';
import { createClient } from './client.js';
import { createEdge } from './edge.js';
import { silentLogger } from './logger.js';
import { memoryListener } from './memory-listener.js';
import { method } from './method.js';
import { service } from './service.js';
import { streamGateway } from './stream-gateway.js';

const math = service('math', {
  add: method<{ a: number; b: number }, number>({ handler: (i) => i.a + i.b }),
  slow: method({ handler: () => new Promise<string>((r) => setTimeout(() => r('late'), 2000)) }),
});
const other = service('other', { ping: method({ handler: () => 'pong' }) });

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function connect(): Promise<Session> {
  const listener = memoryListener();
  const edge = createEdge({
    services: [math, other],
    gateways: [streamGateway(listener, { keepalive: false })],
    logger: silentLogger,
  });
  await edge.start();
  const session = createSession(listener.connect(), { role: 'client', keepalive: false });
  cleanup = async () => {
    session.close();
    await edge.shutdown({ timeout: 200 });
  };
  return session;
}

it('serves several services from one client, with then/catch/finally', async () => {
  const session = await connect();
  const client = createClient<[typeof math, typeof other]>(session);
  expect(await client.math.add({ a: 1, b: 2 })).toBe(3);
  expect(await client.other.ping()).toBe('pong');
  let finished = false;
  await client.other.ping().finally(() => {
    finished = true;
  });
  expect(finished).toBe(true);
  const code = await client.math.add({ a: 1, b: 2 }, { timeout: 1000 }).then(
    () => 'ok',
    () => 'failed',
  );
  expect(code).toBe('ok');
  // The client itself is not awaitable by accident.
  expect((client as unknown as { then?: unknown }).then).toBeUndefined();
  expect(client.math).toBe(client.math);
});

it('times out on the client with DEADLINE_EXCEEDED and cancels with CANCELLED', async () => {
  const session = await connect();
  const client = createClient<typeof math>(session);
  await expect(client.math.slow(undefined, { timeout: 30 })).rejects.toMatchObject({
    code: 'DEADLINE_EXCEEDED',
  });
  const ac = new AbortController();
  const p = client.math.slow(undefined, { signal: ac.signal });
  setTimeout(() => ac.abort(), 5);
  await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
  await expect(client.math.add({ a: 1, b: 2 }).catch((e) => e)).resolves.toBe(3);
});

it('refuses something that is not a session', () => {
  expect(() => createClient({} as Session)).toThrow(TypeError);
});
