import { SwitchyardError } from '@switchyard/stream';
import { expect, describe as group, it } from 'vitest';
import { z } from 'zod';
import type { Cluster, ClusterHost, ForwardRequest } from './cluster.js';
import { createEdge } from './edge.js';
import { silentLogger } from './logger.js';
import { memoryGateway } from './memory-gateway.js';
import { method } from './method.js';
import { service } from './service.js';
import { testService } from './test-service.js';

const svc = service('s', {
  count: method({
    kind: 'server-stream',
    input: z.object({ to: z.number() }),
    output: z.number(),
    async *handler(input) {
      for (let i = 1; i <= input.to; i++) yield i;
    },
  }),
  array: method({ kind: 'server-stream', handler: () => ['a', 'b'] }),
  badItem: method({
    kind: 'server-stream',
    output: z.number(),
    async *handler() {
      yield 1;
      yield 'two' as unknown as number;
    },
  }),
  notIterable: method({ kind: 'server-stream', handler: () => 5 as unknown as Iterable<number> }),
  crashMidway: method({
    kind: 'server-stream',
    async *handler() {
      yield 1;
      throw new Error('secret');
    },
  }),
  endless: method({
    kind: 'server-stream',
    timeout: 40,
    async *handler(_input: void, ctx) {
      yield 'first';
      await new Promise((r) => ctx.signal.addEventListener('abort', r));
      yield 'never seen';
    },
  }),
  sum: method({
    kind: 'client-stream',
    input: z.number(),
    async handler(items) {
      let total = 0;
      for await (const n of items) total += n;
      return total;
    },
  }),
  echo: method({
    kind: 'bidi',
    input: z.string(),
    async *handler(items) {
      for await (const s of items) yield `${s}!`;
    },
  }),
  notify: method({
    input: z.object({ topic: z.string() }),
    handler: (input, ctx) => {
      ctx.subscribe(input.topic);
      ctx.push('welcome', input.topic);
      return 'ok';
    },
  }),
  announce: method({
    input: z.string(),
    handler: (input, ctx) => {
      ctx.publish('news', input);
      return 'sent';
    },
  }),
});

group('streams in process', () => {
  it('serves server-stream output, validating each item', async () => {
    const t = testService(svc);
    await t.stream('count', { to: 3 }).expectItems([1, 2, 3]);
    await t.stream('array').expectItems(['a', 'b']);
    await t.stream('count', { to: 'x' } as never).expectError('INVALID_ARGUMENT');
    await t.stream('badItem').expectError('INTERNAL');
    await t.stream('notIterable').expectError('INTERNAL');
    const err = await t.stream('crashMidway').expectError('INTERNAL');
    expect(err.message).not.toContain('secret');
    expect(t.edge.inFlight).toBe(0);
    await t.close();
  });

  it('ends a stream at its deadline even while the handler waits', async () => {
    const t = testService(svc);
    const items: unknown[] = [];
    const err = await (async () => {
      try {
        for await (const item of t.stream('endless')) items.push(item);
      } catch (e) {
        return e as SwitchyardError;
      }
      return undefined;
    })();
    expect(items).toEqual(['first']);
    expect(err?.code).toBe('DEADLINE_EXCEEDED');
    expect(t.edge.inFlight).toBe(0);
    await t.close();
  });

  it('releases the call when the consumer stops early', async () => {
    const t = testService(svc);
    for await (const n of t.stream('count', { to: 100 })) if (n === 2) break;
    expect(t.edge.inFlight).toBe(0);
    await t.close();
  });

  it('serves client-stream and bidi with per-item validation', async () => {
    const t = testService(svc);
    await t.send('sum', [1, 2, 3]).expectOutput(6);
    await t.send('sum', [1, 'x' as unknown as number]).expectError('INVALID_ARGUMENT');
    await t.stream('echo', ['a', 'b']).expectItems(['a!', 'b!']);
    await t.close();
  });
});

group('pushes and topics through the memory gateway', () => {
  it('pushes to the caller, and publishes to subscribers only', async () => {
    const t = testService(svc);
    await t.call('notify', { topic: 'news' }).expectOutput('ok');
    expect(t.pushes).toEqual([{ topic: 'welcome', value: 'news' }]);
    const other = t.connect();
    await other.call('s.announce', 'hello');
    expect(t.pushes.at(-1)).toEqual({ topic: 'news', value: 'hello' });
    expect(other.pushes).toEqual([]);
    t.edge.publish('news', 'direct');
    expect(t.pushes.at(-1)).toEqual({ topic: 'news', value: 'direct' });
    expect(() => t.edge.publish('', 1)).toThrow(SwitchyardError);
    await t.close();
  });

  it('answers UNIMPLEMENTED when the gateway cannot push', async () => {
    const pushy = service('p', {
      m: method({
        handler: (_i: void, ctx) => {
          ctx.push('x', 1);
          return 1;
        },
      }),
    });
    const gw = memoryGateway();
    const edge = createEdge({ services: [pushy], gateways: [gw], logger: silentLogger });
    await edge.start();
    const bare = { id: 'rest-1', gateway: 'http' };
    await expect(edge.dispatch({ method: 'p.m', connection: bare })).rejects.toMatchObject({
      code: 'UNIMPLEMENTED',
    });
    await edge.shutdown({ timeout: 100 });
  });
});

group('cluster hooks', () => {
  function fakeCluster(owner: (input: unknown) => string | undefined) {
    const forwarded: ForwardRequest[] = [];
    const published: [string, unknown][] = [];
    let host: ClusterHost | undefined;
    let left = false;
    const cluster: Cluster = {
      nodeId: 'n1',
      async start(h) {
        host = h;
      },
      async leave() {
        left = true;
      },
      members: () => [{ id: 'n1', status: 'alive' }],
      locate: (_m, input) => owner(input),
      async forward(node, request) {
        forwarded.push(request);
        if (node === 'down') throw new Error('connection refused');
        return { from: node };
      },
      publish(topic, value) {
        published.push([topic, value]);
      },
    };
    return {
      cluster,
      forwarded,
      published,
      get host() {
        return host!;
      },
      get left() {
        return left;
      },
    };
  }

  it('forwards calls owned by another node, runs local ones, and publishes across nodes', async () => {
    const f = fakeCluster((input) => (input as { node?: string } | undefined)?.node);
    const kv = service('kv', {
      get: method({ handler: (input: { node?: string }) => ({ local: input.node ?? 'n1' }) }),
    });
    const gw = memoryGateway();
    const edge = createEdge({
      services: [kv],
      gateways: [gw],
      cluster: f.cluster,
      logger: silentLogger,
    });
    await edge.start();
    expect(await gw.call('kv.get', {})).toEqual({ local: 'n1' });
    expect(await gw.call('kv.get', { node: 'n1' })).toEqual({ local: 'n1' });
    expect(await gw.call('kv.get', { node: 'n2' })).toEqual({ from: 'n2' });
    expect(f.forwarded[0]).toMatchObject({ method: 'kv.get', input: { node: 'n2' } });
    expect(f.forwarded[0]!.deadline).toBeGreaterThan(performance.now());
    await expect(gw.call('kv.get', { node: 'down' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });

    // A call arriving from another node runs here through the host.
    expect(
      await f.host.dispatch({
        method: 'kv.get',
        input: {},
        connection: { id: 'peer', gateway: 'cluster' },
      }),
    ).toEqual({ local: 'n1' });

    const sub = gw.connect();
    sub.connection.subscribe!('t');
    edge.publish('t', 1);
    expect(f.published).toEqual([['t', 1]]);
    f.host.deliver('t', 2);
    expect(sub.pushes).toEqual([
      { topic: 't', value: 1 },
      { topic: 't', value: 2 },
    ]);
    // Delivered from another node: not sent back to the cluster.
    expect(f.published).toHaveLength(1);
    await edge.shutdown({ timeout: 100 });
    expect(f.left).toBe(true);
  });
});
