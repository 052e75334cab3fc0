import { SwitchyardError } from '@switchyard/stream';
import * as v from 'valibot';
import { expect, describe as group, it } from 'vitest';
import { z } from 'zod';
import { createEdge } from './edge.js';
import type { Gateway } from './gateway.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { memoryGateway } from './memory-gateway.js';
import { method } from './method.js';
import { rest, rpc } from './selectors.js';
import { service } from './service.js';

function recordingLogger(): Logger & {
  records: { level: string; message: string; fields?: unknown }[];
} {
  const records: { level: string; message: string; fields?: unknown }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    records.push({ level, message, fields });
  };
  return { records, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const greeter = service('greeter', {
  hello: method({
    input: z.object({ name: z.string().min(1) }),
    output: z.object({ msg: z.string() }),
    selectors: [rpc('hi'), rest('GET', '/hello/:name')],
    idempotent: true,
    handler: async (input) => ({ msg: `hi ${input.name}` }),
  }),
  syncHello: method({
    input: v.object({ name: v.string() }),
    handler: (input) => `sync ${input.name}`,
  }),
  badOutput: method({
    output: z.object({ n: z.number() }),
    handler: async () => ({ n: 'not a number' }) as unknown as { n: number },
  }),
  throwsString: method({
    handler: () => {
      throw 'a plain string with /secret/path';
    },
  }),
  throwsError: method({
    handler: async () => {
      throw new TypeError('db password is hunter2');
    },
  }),
  throwsUndefined: method({
    handler: async () => {
      throw undefined;
    },
  }),
  refuses: method({
    handler: async () => {
      throw new SwitchyardError('PERMISSION_DENIED', 'no', { data: { why: 'role' } });
    },
  }),
  hangs: method({
    timeout: 50,
    handler: (_input, ctx) =>
      new Promise((_resolve, reject) => {
        ctx.signal.addEventListener('abort', () => reject(new Error('aborted inside')));
      }),
  }),
  neverReturns: method({
    timeout: 40,
    handler: () => new Promise(() => {}),
  }),
  ctxInfo: method({
    handler: async (_input, ctx) => ({
      conn: ctx.connection.gateway,
      transport: ctx.connection.transport,
      meta: ctx.metadata.token ?? null,
      remaining: ctx.remaining() > 0,
      method: ctx.method.name,
    }),
  }),
});

async function setup(
  extra: Parameters<typeof createEdge>[0] extends infer O ? Partial<O> : never = {},
) {
  const gw = memoryGateway();
  const edge = createEdge({ logger: silentLogger, ...extra, services: [greeter], gateways: [gw] });
  await edge.start();
  return { gw, edge };
}

group('dispatch', () => {
  it('runs a unary handler by canonical name, rpc alias, numeric id and entry', async () => {
    const { gw, edge } = await setup();
    expect(await gw.call('greeter.hello', { name: 'a' })).toEqual({ msg: 'hi a' });
    expect(await gw.call('hi', { name: 'b' })).toEqual({ msg: 'hi b' });
    const entry = edge.lookup('greeter.hello')!;
    expect(await gw.call(entry.id, { name: 'c' })).toEqual({ msg: 'hi c' });
    expect(
      await edge.dispatch({ method: entry, input: { name: 'd' }, connection: gw.connection }),
    ).toEqual({
      msg: 'hi d',
    });
    expect(await gw.call('greeter.syncHello', { name: 'v' })).toBe('sync v');
    expect(edge.inFlight).toBe(0);
    await edge.shutdown({ timeout: 100 });
  });

  it('dispatchNow returns a synchronous result as is, anything else as a promise', async () => {
    const { gw, edge } = await setup();
    const connection = gw.connection;
    // Synchronous handler: the value itself, no promise, nothing left in flight.
    const sync = edge.dispatchNow({
      method: 'greeter.syncHello',
      input: { name: 's' },
      connection,
    });
    expect(sync).toBe('sync s');
    expect(edge.inFlight).toBe(0);
    // Asynchronous handler: a promise, as from dispatch.
    const later = edge.dispatchNow({ method: 'greeter.hello', input: { name: 'a' }, connection });
    expect(later).toBeInstanceOf(Promise);
    await expect(later).resolves.toEqual({ msg: 'hi a' });
    // Failures are rejected promises, never throws: unknown method, bad input, a throwing handler.
    const failures = [
      edge.dispatchNow({ method: 'greeter.nope', connection }),
      edge.dispatchNow({ method: 'greeter.syncHello', input: { name: 1 }, connection }),
      edge.dispatchNow({ method: 'greeter.throwsString', connection }),
    ];
    for (const f of failures) expect(f).toBeInstanceOf(Promise);
    await expect(failures[0]).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(failures[1]).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(failures[2]).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(edge.inFlight).toBe(0);
    await edge.shutdown({ timeout: 100 });
  });

  it('dispatchNow hands a synchronous stream handler its output stream directly', async () => {
    const svc = service('s', {
      three: method<void, number>({
        kind: 'server-stream',
        *handler() {
          yield 1;
          yield 2;
          yield 3;
        },
      }),
    });
    const gw = memoryGateway();
    const edge = createEdge({ services: [svc], gateways: [gw], logger: silentLogger });
    await edge.start();
    const out = edge.dispatchNow({ method: 's.three', connection: gw.connection });
    expect(out).not.toBeInstanceOf(Promise);
    const items: unknown[] = [];
    for await (const item of out as AsyncIterable<unknown>) items.push(item);
    expect(items).toEqual([1, 2, 3]);
    expect(edge.inFlight).toBe(0);
    await edge.shutdown({ timeout: 100 });
  });

  it('exposes entries with ids, kinds and rpc names', async () => {
    const { edge } = await setup();
    const e = edge.lookup('hi')!;
    expect(e.name).toBe('greeter.hello');
    expect(e.rpcNames).toEqual(['greeter.hello', 'hi']);
    expect(e.idempotent).toBe(true);
    expect(edge.methods[e.id]).toBe(e);
    expect(edge.lookup('nope')).toBeUndefined();
    expect(edge.lookup(9999)).toBeUndefined();
  });

  it('answers NOT_FOUND for an unknown method', async () => {
    const { gw, edge } = await setup();
    await expect(gw.call('greeter.nope', {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(gw.call(12345, {})).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const foreign = { ...edge.lookup('hi')!, id: 0 };
    await expect(
      edge.dispatch({ method: foreign, connection: gw.connection }),
    ).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
  });

  it('validates input before the handler: INVALID_ARGUMENT with issues in data', async () => {
    const { gw } = await setup();
    const err = (await gw.call('greeter.hello', { name: 42 }).catch((e) => e)) as SwitchyardError;
    expect(err).toBeInstanceOf(SwitchyardError);
    expect(err.code).toBe('INVALID_ARGUMENT');
    const issues = (err.data as { issues: { path: unknown[]; message: string }[] }).issues;
    expect(issues[0]?.path).toEqual(['name']);
    expect(typeof issues[0]?.message).toBe('string');
    expect(JSON.parse(JSON.stringify(err.toJSON())).data.issues.length).toBeGreaterThan(0);
    await expect(gw.call('greeter.hello', undefined)).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(gw.call('greeter.syncHello', { name: 1 })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('turns an output that fails its schema into INTERNAL', async () => {
    const logger = recordingLogger();
    const { gw } = await setup({ logger });
    await expect(gw.call('greeter.badOutput')).rejects.toMatchObject({ code: 'INTERNAL' });
    expect(logger.records.some((r) => r.message.includes('output failed'))).toBe(true);
  });

  it('maps non-Error throws and plain Errors to INTERNAL without leaking them', async () => {
    const logger = recordingLogger();
    const { gw } = await setup({ logger });
    for (const m of ['throwsString', 'throwsError', 'throwsUndefined']) {
      const err = (await gw.call(`greeter.${m}`).catch((e) => e)) as SwitchyardError;
      expect(err.code).toBe('INTERNAL');
      const wire = JSON.stringify(err.toJSON());
      expect(wire).not.toMatch(/secret|hunter2|stack|at /);
    }
    expect(logger.records.filter((r) => r.level === 'error')).toHaveLength(3);
  });

  it('passes SwitchyardErrors through with code and data', async () => {
    const { gw } = await setup();
    await expect(gw.call('greeter.refuses')).rejects.toMatchObject({
      code: 'PERMISSION_DENIED',
      data: { why: 'role' },
    });
  });

  it('rejects oversized input with PAYLOAD_TOO_LARGE', async () => {
    const { gw, edge } = await setup({ limits: { maxInputBytes: 10 } });
    await expect(
      edge.dispatch({
        method: 'hi',
        input: { name: 'x' },
        inputSize: 11,
        connection: gw.connection,
      }),
    ).rejects.toMatchObject({ code: 'PAYLOAD_TOO_LARGE' });
    expect(
      await edge.dispatch({
        method: 'hi',
        input: { name: 'x' },
        inputSize: 10,
        connection: gw.connection,
      }),
    ).toEqual({ msg: 'hi x' });
  });

  it('fails a handler that never returns at its deadline, and aborts its signal', async () => {
    const { gw, edge } = await setup();
    await expect(gw.call('greeter.neverReturns')).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await expect(gw.call('greeter.hangs')).rejects.toMatchObject({ code: 'DEADLINE_EXCEEDED' });
    // The caller's own deadline applies too, when shorter.
    await expect(gw.call('greeter.neverReturns', undefined, { timeout: 5 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    await expect(gw.call('greeter.hello', { name: 'a' }, { timeout: -50 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
    });
    expect(edge.inFlight).toBe(0);
  });

  it('cancels when the caller aborts: CANCELLED and ctx.signal fires', async () => {
    let seen: unknown;
    const svc = service('c', {
      wait: method({
        handler: (_i, ctx) =>
          new Promise((_r, reject) => {
            ctx.signal.addEventListener('abort', () => {
              seen = ctx.signal.reason;
              reject(new Error('stop'));
            });
          }),
      }),
    });
    const gw = memoryGateway();
    const edge = createEdge({ services: [svc], gateways: [gw], logger: silentLogger });
    await edge.start();
    const ac = new AbortController();
    const p = gw.call('c.wait', undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(), 5);
    await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(seen).toMatchObject({ code: 'CANCELLED' });
    await expect(
      gw.call('c.wait', undefined, { signal: AbortSignal.abort() }),
    ).rejects.toMatchObject({
      code: 'CANCELLED',
    });
    expect(edge.inFlight).toBe(0);
  });

  it('gives handlers metadata, connection info, deadline and method', async () => {
    const { gw } = await setup();
    expect(await gw.call('greeter.ctxInfo', undefined, { metadata: { token: 't1' } })).toEqual({
      conn: 'memory',
      transport: 'memory',
      meta: 't1',
      remaining: true,
      method: 'greeter.ctxInfo',
    });
  });

  it('refuses bad definitions at edge creation', () => {
    const a = service('a', { x: method({ selectors: [rpc('dup')], handler: () => 1 }) });
    const b = service('b', { y: method({ selectors: [rpc('dup')], handler: () => 1 }) });
    expect(() => createEdge({ services: [a, b] })).toThrow(/rpc name 'dup'/);
    expect(() => createEdge({ services: [a, a] })).toThrow(/given twice/);
    expect(() => createEdge({} as never)).toThrow(/services/);
    expect(() =>
      createEdge({ services: [a], gateways: [memoryGateway(), memoryGateway()] }),
    ).toThrow(/two gateways/);
  });
});

group('shutdown', () => {
  it('lets in-flight calls finish, refuses new ones, then stops gateways', async () => {
    let release!: () => void;
    const svc = service('s', {
      slow: method({ handler: () => new Promise<string>((r) => (release = () => r('done'))) }),
    });
    const gw = memoryGateway();
    const edge = createEdge({ services: [svc], gateways: [gw], logger: silentLogger });
    await edge.start();
    const pending = gw.call('s.slow');
    await new Promise((r) => setTimeout(r, 1));
    const stopping = edge.shutdown({ timeout: 5000 });
    expect(edge.state).toBe('draining');
    await expect(gw.call('s.slow')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    release();
    expect(await pending).toBe('done');
    await stopping;
    expect(edge.state).toBe('stopped');
  });

  it('passes its timeout to the gateways and aborts calls still running at the deadline', async () => {
    const stops: number[] = [];
    let aborted: unknown;
    const recorder: Gateway = {
      name: 'rec',
      register() {},
      async start() {},
      async stop(o) {
        stops.push(o.timeout);
      },
    };
    const svc = service('s', {
      stuck: method({
        timeout: 60_000,
        handler: (_i, ctx) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
          });
          return new Promise(() => {});
        },
      }),
    });
    const gw = memoryGateway();
    const edge = createEdge({ services: [svc], gateways: [gw, recorder], logger: silentLogger });
    await edge.start();
    const pending = gw.call('s.stuck').catch((e) => e);
    await new Promise((r) => setTimeout(r, 1));
    await edge.shutdown({ timeout: 150 });
    expect(await pending).toMatchObject({ code: 'UNAVAILABLE' });
    expect(aborted).toMatchObject({ code: 'UNAVAILABLE' });
    expect(stops).toHaveLength(1);
    expect(stops[0]).toBeGreaterThanOrEqual(0);
    expect(stops[0]).toBeLessThanOrEqual(150);
    expect(edge.inFlight).toBe(0);
  });

  it('finishes even when a gateway never stops', async () => {
    const stuck: Gateway = {
      name: 'stuck',
      register() {},
      async start() {},
      stop: () => new Promise(() => {}),
    };
    const edge = createEdge({ services: [greeter], gateways: [stuck], logger: silentLogger });
    await edge.start();
    await edge.shutdown({ timeout: 50 });
    expect(edge.state).toBe('stopped');
  });

  it('stops the gateways that started when a later one fails to start', async () => {
    const stopped: string[] = [];
    const ok: Gateway = {
      name: 'ok',
      register() {},
      async start() {},
      async stop() {
        stopped.push('ok');
      },
    };
    const bad: Gateway = {
      name: 'bad',
      register() {},
      async start() {
        throw new Error('port in use');
      },
      async stop() {},
    };
    const edge = createEdge({ services: [greeter], gateways: [ok, bad], logger: silentLogger });
    await expect(edge.start()).rejects.toThrow('port in use');
    expect(stopped).toEqual(['ok']);
    await expect(edge.start()).rejects.toThrow(/already/);
  });
});

group('connection events', () => {
  it('reports gateway connections to the edge hooks', async () => {
    const opened: string[] = [];
    const closed: string[] = [];
    const gw = memoryGateway();
    const edge = createEdge({
      services: [greeter],
      gateways: [gw],
      logger: silentLogger,
      onConnect: (c) => opened.push(c.id),
      onDisconnect: (c) => closed.push(c.id),
    });
    await edge.start();
    const client = gw.connect();
    expect(edge.connections).toBe(1);
    client.close();
    expect(opened).toEqual([client.connection.id]);
    expect(closed).toEqual([client.connection.id]);
    expect(edge.connections).toBe(0);
    await edge.shutdown({ timeout: 100 });
  });
});
