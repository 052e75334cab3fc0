import {
  createClient,
  createEdge,
  type Edge,
  method,
  service,
  silentLogger,
} from '@switchyard/core';
import { type Session, SwitchyardError } from '@switchyard/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Transport conformance: the same behaviours run over any transport that can
 * serve an edge and connect a session to it, so QUIC is held to exactly what
 * TCP passes (the test file runs this suite over both, side by side).
 * Test-only: not exported from the package.
 */
export interface ConformanceTarget {
  /** Serves `edge`'s services; returns how to connect and how to stop. */
  start(edge: (gateways: Parameters<typeof createEdge>[0]['gateways']) => Edge): Promise<{
    connect(): Promise<Session>;
    stop(): Promise<void>;
  }>;
}

export function makeConformanceService() {
  const stats = { aborted: 0 };
  const svc = service('conf', {
    echo: method({ handler: async (input: unknown) => input }),
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
      async *handler(input: { to: number }) {
        for (let i = 1; i <= input.to; i++) yield i;
      },
    }),
    sum: method({
      kind: 'client-stream',
      async handler(items: AsyncIterable<number>) {
        let total = 0;
        for await (const n of items) total += n;
        return total;
      },
    }),
    upper: method({
      kind: 'bidi',
      async *handler(items: AsyncIterable<string>) {
        for await (const s of items) yield s.toUpperCase();
      },
    }),
    wait: method({
      timeout: 60_000,
      handler: (_input: unknown, ctx) =>
        new Promise<string>((resolve) => {
          ctx.signal.addEventListener('abort', () => {
            stats.aborted++;
            resolve('aborted');
          });
        }),
    }),
    pushMe: method({
      handler: async (input: unknown, ctx) => {
        ctx.push('note', input);
        return 'pushed';
      },
    }),
    slow: method({
      handler: async (input: { ms: number }) => {
        await new Promise((r) => setTimeout(r, input.ms));
        return 'slow';
      },
    }),
  });
  return { svc, stats };
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function conformanceSuite(name: string, target: ConformanceTarget): void {
  describe(`conformance over ${name}`, () => {
    const { svc, stats } = makeConformanceService();
    let stop: () => Promise<void> = async () => {};
    let session: Session;
    let connect: () => Promise<Session>;

    beforeAll(async () => {
      const started = await target.start((gateways) =>
        createEdge({ services: [svc], gateways: gateways ?? [], logger: silentLogger }),
      );
      stop = started.stop;
      connect = started.connect;
      session = await connect();
    });
    afterAll(async () => {
      session?.close();
      await stop();
    });

    it('answers unary calls, typed and by name', async () => {
      const client = createClient<typeof svc>(session);
      expect(await client.conf.echo({ hi: 1 })).toEqual({ hi: 1 });
      expect(await session.call('conf.echo', 'x')).toBe('x');
      const many = await Promise.all([1, 2, 3, 4, 5].map((n) => session.call('conf.echo', n)));
      expect(many).toEqual([1, 2, 3, 4, 5]);
    });

    it('rehydrates errors with their code and data, hides internals', async () => {
      const err = (await session.call('conf.fail').catch((e) => e)) as SwitchyardError;
      expect(err).toBeInstanceOf(SwitchyardError);
      expect(err.code).toBe('NOT_FOUND');
      expect(err.data).toEqual({ id: 7 });
      const crash = (await session.call('conf.crash').catch((e) => e)) as SwitchyardError;
      expect(crash.code).toBe('INTERNAL');
      expect(crash.message).not.toContain('secret');
      await expect(session.call('conf.nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('streams server-stream output and cancels when the consumer stops', async () => {
      const got: number[] = [];
      for await (const n of session.serverStream<number>('conf.count', { to: 5 })) got.push(n);
      expect(got).toEqual([1, 2, 3, 4, 5]);
      for await (const n of session.serverStream<number>('conf.count', { to: 10_000 })) {
        if (n === 3) break;
      }
      expect(await session.call('conf.echo', 'still fine')).toBe('still fine');
    });

    it('serves client-stream and bidi calls', async () => {
      const sum = session.clientStream<number>('conf.sum');
      for (const n of [1, 2, 3]) await sum.send(n);
      sum.end();
      // core replies to client-stream methods called as bidi too; plain client-stream here
      expect(await sum.result).toBe(6);
      const upper = session.bidi<string>('conf.upper');
      await upper.send('a');
      await upper.send('b');
      upper.end();
      const out: string[] = [];
      for await (const s of upper) out.push(s);
      expect(out).toEqual(['A', 'B']);
    });

    it('cancels: the caller gets CANCELLED and the handler sees the abort', async () => {
      const before = stats.aborted;
      const ac = new AbortController();
      const p = session.call('conf.wait', undefined, { signal: ac.signal });
      setTimeout(() => ac.abort(), 20);
      await expect(p).rejects.toMatchObject({ code: 'CANCELLED' });
      await until(() => stats.aborted > before);
    });

    it('times out: DEADLINE_EXCEEDED for the caller, abort for the handler', async () => {
      const before = stats.aborted;
      await expect(session.call('conf.wait', undefined, { timeout: 150 })).rejects.toMatchObject({
        code: 'DEADLINE_EXCEEDED',
      });
      await until(() => stats.aborted > before);
    });

    it('does not hold a fast call behind a slow one', async () => {
      const order: string[] = [];
      const slow = session.call('conf.slow', { ms: 400 }).then(() => order.push('slow'));
      const fast = session.call('conf.echo', 'fast').then(() => order.push('fast'));
      await Promise.all([slow, fast]);
      expect(order).toEqual(['fast', 'slow']);
    });

    it('delivers server pushes', async () => {
      const got: [string, unknown][] = [];
      const off = session.onPush((topic, value) => got.push([topic, value]));
      expect(await session.call('conf.pushMe', { n: 1 })).toBe('pushed');
      await until(() => got.length === 1);
      expect(got[0]).toEqual(['note', { n: 1 }]);
      off();
    });

    it('serves a second connection independently', async () => {
      const other = await connect();
      try {
        expect(await other.call('conf.echo', 2)).toBe(2);
      } finally {
        other.close();
      }
      expect(await session.call('conf.echo', 1)).toBe(1);
    });
  });
}
