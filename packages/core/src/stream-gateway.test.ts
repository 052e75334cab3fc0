import { createSession, type Session, SwitchyardError } from '@switchyard/stream';
import { connectSession, listen } from '@switchyard/tcp';
import { afterEach, expect, describe as group, it } from 'vitest';
import { z } from 'zod';
import { createClient } from './client.js';
import { createEdge, type Edge } from './edge.js';
import { silentLogger } from './logger.js';
import { memoryListener } from './memory-listener.js';
import { method } from './method.js';
import { rpc } from './selectors.js';
import { service } from './service.js';
import { streamGateway } from './stream-gateway.js';

const echo = service('echo', {
  hello: method({
    input: z.object({ name: z.string() }),
    output: z.object({ msg: z.string() }),
    selectors: [rpc('hi')],
    handler: async (input) => ({ msg: `hi ${input.name}` }),
  }),
  fail: method({
    handler: async () => {
      throw new SwitchyardError('NOT_FOUND', 'no such thing', { data: { id: 7 } });
    },
  }),
  crash: method({
    handler: () => {
      throw new Error('secret internals');
    },
  }),
  count: method({
    kind: 'server-stream',
    input: z.object({ to: z.number().int().max(1000) }),
    output: z.number(),
    async *handler(input) {
      for (let i = 1; i <= input.to; i++) yield i;
    },
  }),
  sum: method({
    kind: 'client-stream',
    input: z.number(),
    output: z.number(),
    async handler(items) {
      let total = 0;
      for await (const n of items) total += n;
      return total;
    },
  }),
  upper: method({
    kind: 'bidi',
    input: z.string(),
    output: z.string(),
    async *handler(items) {
      for await (const s of items) yield s.toUpperCase();
    },
  }),
  pushMe: method({
    handler: async (_input: void, ctx) => {
      ctx.push('note', { hello: ctx.connection.id });
      return 'pushed';
    },
  }),
  join: method({
    input: z.object({ topic: z.string() }),
    handler: async (input, ctx) => {
      ctx.subscribe(input.topic);
      return true;
    },
  }),
  wait: method({
    timeout: 60_000,
    handler: (_input: void, ctx) =>
      new Promise<string>((resolve) => {
        ctx.signal.addEventListener('abort', () => resolve('aborted'));
      }),
  }),
});

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

async function memoryEdge(extra: { maxFrameSize?: number } = {}): Promise<{
  edge: Edge;
  session: Session;
  open: () => Session;
}> {
  const listener = memoryListener();
  const edge = createEdge({
    services: [echo],
    gateways: [streamGateway(listener, { keepalive: false, ...extra })],
    logger: silentLogger,
  });
  await edge.start();
  const sessions: Session[] = [];
  const open = (): Session => {
    const s = createSession(listener.connect(), { role: 'client', keepalive: false });
    sessions.push(s);
    return s;
  };
  const session = open();
  cleanups.push(async () => {
    for (const s of sessions) s.close();
    await edge.shutdown({ timeout: 500 });
  });
  return { edge, session, open };
}

group('streamGateway over an in-memory conduit pair', () => {
  it('serves unary calls to a typed client, by canonical name and rpc alias', async () => {
    const { session } = await memoryEdge();
    const client = createClient<typeof echo>(session);
    expect(await client.echo.hello({ name: 'ann' })).toEqual({ msg: 'hi ann' });
    expect(await session.call('hi', { name: 'bob' })).toEqual({ msg: 'hi bob' });
  });

  it('rehydrates errors with the same code and data; internals stay hidden', async () => {
    const { session } = await memoryEdge();
    const client = createClient<typeof echo>(session);
    const err = (await client.echo.fail().catch((e) => e)) as SwitchyardError;
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err.code).toBe('NOT_FOUND');
    expect(err.data).toEqual({ id: 7 });
    const crash = (await client.echo.crash().catch((e) => e)) as SwitchyardError;
    expect(crash.code).toBe('INTERNAL');
    expect(crash.message).not.toContain('secret');
    const bad = (await client.echo
      .hello({ name: 5 as unknown as string })
      .catch((e) => e)) as SwitchyardError;
    expect(bad.code).toBe('INVALID_ARGUMENT');
    expect((bad.data as { issues: unknown[] }).issues.length).toBeGreaterThan(0);
    await expect(session.call('echo.nope', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('streams server-stream output as an async iterable', async () => {
    const { session } = await memoryEdge();
    const client = createClient<typeof echo>(session);
    const got: number[] = [];
    for await (const n of client.echo.count({ to: 5 })) got.push(n);
    expect(got).toEqual([1, 2, 3, 4, 5]);
    // Breaking out early cancels on the server and frees the call.
    for await (const n of client.echo.count({ to: 1000 })) if (n === 3) break;
  });

  it('serves client-stream and bidi calls', async () => {
    const { session } = await memoryEdge();
    const client = createClient<typeof echo>(session);
    const sum = client.echo.sum.open();
    for (const n of [1, 2, 3]) await sum.send(n);
    sum.end();
    expect(await sum.result).toBe(6);

    const upper = client.echo.upper.open();
    await upper.send('a');
    await upper.send('b');
    upper.end();
    const out: string[] = [];
    for await (const s of upper) out.push(s);
    expect(out).toEqual(['A', 'B']);

    const bad = client.echo.sum.open();
    await bad.send('x' as unknown as number).catch(() => {});
    bad.end();
    await expect(bad.result).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('refuses a method called with the wrong kind', async () => {
    const { session } = await memoryEdge();
    await expect(session.call('echo.count', { to: 1 })).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
  });

  it('pushes to the caller and publishes to topic subscribers', async () => {
    const { edge, session, open } = await memoryEdge();
    const pushes: [string, unknown][] = [];
    session.onPush((topic, value) => pushes.push([topic, value]));
    expect(await session.call('echo.pushMe')).toBe('pushed');
    await waitFor(() => pushes.length === 1);
    expect(pushes[0]?.[0]).toBe('note');

    const other = open();
    const otherPushes: unknown[] = [];
    other.onPush((topic, value) => otherPushes.push([topic, value]));
    await session.call('echo.join', { topic: 'news' });
    await other.call('echo.ping').catch(() => {});
    edge.publish('news', { n: 1 });
    await waitFor(() => pushes.length === 2);
    expect(pushes[1]).toEqual(['news', { n: 1 }]);
    expect(otherPushes).toEqual([]);
  });

  it('cancels the handler when the client aborts', async () => {
    const { session } = await memoryEdge();
    const ac = new AbortController();
    const p = session.call('echo.wait', undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(), 10);
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('rejects an input larger than the frame limit', async () => {
    const { session } = await memoryEdge({ maxFrameSize: 2048 });
    const err = (await session
      .call('echo.hello', { name: 'x'.repeat(10_000) })
      .catch((e) => e)) as SwitchyardError;
    expect(err).toBeInstanceOf(SwitchyardError);
    expect([
      'PAYLOAD_TOO_LARGE',
      'RESOURCE_EXHAUSTED',
      'INVALID_ARGUMENT',
      'PROTOCOL_ERROR',
      'UNAVAILABLE',
    ]).toContain(err.code);
  });

  it('serves NDJSON text mode to the same handlers', async () => {
    const listener = memoryListener();
    const edge = createEdge({
      services: [echo],
      gateways: [streamGateway(listener)],
      logger: silentLogger,
    });
    await edge.start();
    cleanups.push(() => edge.shutdown({ timeout: 500 }));
    const conduit = listener.connect();
    const lines: string[] = [];
    let buf = '';
    conduit.attach({
      data(chunk) {
        buf += Buffer.from(chunk).toString('utf8');
        let i = buf.indexOf('\n');
        while (i >= 0) {
          lines.push(buf.slice(0, i));
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
        }
      },
      drain() {},
      close() {},
    });
    const send = (o: unknown) => conduit.write(Buffer.from(`${JSON.stringify(o)}\n`));
    send({ id: 1, method: 'echo.hello', input: { name: 'text' } });
    send({ id: 2, method: 'echo.hello', input: { name: 3 } });
    send({ id: 3, method: 'echo.count', input: { to: 2 }, stream: true });
    await waitFor(() => lines.some((l) => l.includes('"end"')) && lines.length >= 5);
    const parsed = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(parsed.find((p) => p.id === 1)).toMatchObject({ result: { msg: 'hi text' } });
    expect(parsed.find((p) => p.id === 2)).toMatchObject({ error: { code: 'INVALID_ARGUMENT' } });
    expect(parsed.filter((p) => p.id === 3 && 'data' in p).map((p) => p.data)).toEqual([1, 2]);
    conduit.close();
  });

  it('shutdown aborts calls still running at its timeout and closes connections', async () => {
    const { edge, session } = await memoryEdge();
    const pending = session.call('echo.wait', undefined, { timeout: 60_000 }).catch((e) => e);
    await waitFor(() => edge.inFlight === 1);
    await edge.shutdown({ timeout: 200 });
    const result = await pending;
    // The handler resolved 'aborted' after its signal fired; the edge had already answered UNAVAILABLE.
    expect(result).toMatchObject({ code: 'UNAVAILABLE' });
    expect(edge.connections).toBe(0);
  });
});

group('streamGateway over TCP', () => {
  it('serves the same service over @switchyard/tcp with a typed client', async () => {
    const listener = await listen({ host: '127.0.0.1', port: 0 });
    const edge = createEdge({
      services: [echo],
      gateways: [streamGateway(listener, { keepalive: false })],
      logger: silentLogger,
    });
    await edge.start();
    const port = listener.address.port!;
    const session = await connectSession({ host: '127.0.0.1', port }, { keepalive: false });
    cleanups.push(async () => {
      session.close();
      await edge.shutdown({ timeout: 500 });
      listener.destroyConnections();
    });
    const client = createClient<typeof echo>(session);
    expect(await client.echo.hello({ name: 'tcp' }, { timeout: 2000 })).toEqual({ msg: 'hi tcp' });
    const items: number[] = [];
    for await (const n of client.echo.count({ to: 3 })) items.push(n);
    expect(items).toEqual([1, 2, 3]);
    await expect(client.echo.fail()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(edge.connections).toBe(1);
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}
