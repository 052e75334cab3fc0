import { SwitchyardError } from '@switchyard/stream';
import { expect, describe as group, it } from 'vitest';
import type { Context } from './context.js';
import { createEdge } from './edge.js';
import { silentLogger } from './logger.js';
import { memoryGateway } from './memory-gateway.js';
import { method } from './method.js';
import { auth, principalOf } from './middleware/auth.js';
import { bulkhead } from './middleware/bulkhead.js';
import { circuitBreaker } from './middleware/circuit-breaker.js';
import { rateLimit } from './middleware/rate-limit.js';
import { retry } from './middleware/retry.js';
import { timeout } from './middleware/timeout.js';
import type { Middleware } from './middleware.js';
import { service } from './service.js';
import { testService } from './test-service.js';

group('middleware chain', () => {
  it('runs edge, service, then method middleware around the handler', async () => {
    const order: string[] = [];
    const tag =
      (name: string): Middleware =>
      async (_ctx, next) => {
        order.push(`>${name}`);
        const out = await next();
        order.push(`<${name}`);
        return out;
      };
    const svc = service(
      's',
      {
        m: method({
          middleware: [tag('method')],
          handler: () => {
            order.push('handler');
            return 1;
          },
        }),
      },
      { middleware: [tag('service')] },
    );
    const t = testService(svc, { middleware: [tag('edge')] });
    await t.call('m').expectOutput(1);
    expect(order).toEqual([
      '>edge',
      '>service',
      '>method',
      'handler',
      '<method',
      '<service',
      '<edge',
    ]);
    await t.close();
  });

  it('lets middleware replace the result or refuse the call', async () => {
    const svc = service('s', {
      m: method({
        middleware: [async (_ctx, next) => ((await next()) as number) * 10],
        handler: () => 2,
      }),
      refused: method({
        middleware: [
          () => {
            throw new SwitchyardError('PERMISSION_DENIED', 'nope');
          },
        ],
        handler: () => 2,
      }),
    });
    const t = testService(svc);
    await t.call('m').expectOutput(20);
    await t.call('refused').expectError('PERMISSION_DENIED', 'nope');
    await t.close();
  });

  it('fails clearly when a middleware calls next() twice', async () => {
    let runs = 0;
    const twice: Middleware = async function doubleNext(_ctx, next) {
      await next();
      return next();
    };
    const concurrent: Middleware = function parallelNext(_ctx, next) {
      return Promise.all([next(), next()]);
    };
    const svc = service('s', {
      a: method({ middleware: [twice], handler: () => ++runs }),
      b: method({ middleware: [concurrent], handler: () => ++runs }),
    });
    const t = testService(svc);
    await t.call('a').expectError('INTERNAL', /doubleNext.*next\(\) twice/);
    await t.call('b').expectError('INTERNAL', /next\(\) twice/);
    // The handler ran once per call, never twice.
    expect(runs).toBe(2);
    await t.close();
  });

  it('maps a middleware throwing a non-Error to INTERNAL', async () => {
    const svc = service('s', {
      m: method({
        middleware: [
          () => {
            throw 42;
          },
        ],
        handler: () => 1,
      }),
    });
    const t = testService(svc);
    const err = await t.call('m').expectError('INTERNAL');
    expect(err.message).toBe('internal error');
    await t.close();
  });
});

group('timeout()', () => {
  it('tightens the deadline: DEADLINE_EXCEEDED and the handler signal fires', async () => {
    let aborted = false;
    const svc = service('s', {
      slow: method({
        middleware: [timeout(30)],
        handler: (_i, ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              resolve('late');
            });
          }),
      }),
      fast: method({ middleware: [timeout(1000)], handler: async () => 'ok' }),
    });
    const t = testService(svc);
    await t.call('slow').expectError('DEADLINE_EXCEEDED');
    expect(aborted).toBe(true);
    await t.call('fast').expectOutput('ok');
    expect(t.edge.inFlight).toBe(0);
    await t.close();
  });

  it('refuses a bad duration', () => {
    expect(() => timeout(0)).toThrow(TypeError);
    expect(() => timeout(Number.NaN)).toThrow(TypeError);
  });
});

group('retry()', () => {
  function flaky(failures: number, code: SwitchyardError['code'] = 'UNAVAILABLE') {
    let calls = 0;
    return {
      get calls() {
        return calls;
      },
      handler: async () => {
        calls++;
        if (calls <= failures) throw new SwitchyardError(code, `fail ${calls}`);
        return calls;
      },
    };
  }

  it('retries idempotent methods on retryable errors', async () => {
    const f = flaky(2);
    const svc = service('s', {
      m: method({
        idempotent: true,
        middleware: [retry({ attempts: 3, backoff: 1 })],
        handler: f.handler,
      }),
    });
    const t = testService(svc);
    await t.call('m').expectOutput(3);
    expect(f.calls).toBe(3);
    await t.close();
  });

  it('never retries non-idempotent methods', async () => {
    const f = flaky(1);
    const svc = service('s', {
      m: method({ middleware: [retry({ attempts: 5, backoff: 1 })], handler: f.handler }),
    });
    const t = testService(svc);
    await t.call('m').expectError('UNAVAILABLE');
    expect(f.calls).toBe(1);
    await t.close();
  });

  it('does not retry non-retryable errors and gives up after the attempts', async () => {
    const bad = flaky(5, 'INVALID_ARGUMENT');
    const down = flaky(10);
    const svc = service('s', {
      bad: method({ idempotent: true, middleware: [retry({ backoff: 1 })], handler: bad.handler }),
      down: method({
        idempotent: true,
        middleware: [retry({ attempts: 4, backoff: 1 })],
        handler: down.handler,
      }),
    });
    const t = testService(svc);
    await t.call('bad').expectError('INVALID_ARGUMENT');
    expect(bad.calls).toBe(1);
    await t.call('down').expectError('UNAVAILABLE', 'fail 4');
    expect(down.calls).toBe(4);
    await t.close();
  });

  it('retries an idempotent method after an inner timeout', async () => {
    let calls = 0;
    const svc = service('s', {
      m: method({
        idempotent: true,
        middleware: [retry({ attempts: 2, backoff: 1 })],
        handler: async () => {
          calls++;
          if (calls === 1) throw new SwitchyardError('DEADLINE_EXCEEDED', 'upstream slow');
          return 'ok';
        },
      }),
    });
    const t = testService(svc);
    await t.call('m').expectOutput('ok');
    await t.close();
  });
});

group('circuitBreaker()', () => {
  it('opens after consecutive server faults, fails fast, then probes and closes', async () => {
    let clock = 0;
    let healthy = false;
    let calls = 0;
    const breaker = circuitBreaker({ failureThreshold: 2, resetTimeout: 100, now: () => clock });
    const svc = service('s', {
      m: method({
        middleware: [breaker],
        handler: async () => {
          calls++;
          if (!healthy) throw new SwitchyardError('UNAVAILABLE', 'db down');
          return 'ok';
        },
      }),
      client: method({
        middleware: [breaker],
        handler: async () => {
          throw new SwitchyardError('INVALID_ARGUMENT', 'bad');
        },
      }),
    });
    const t = testService(svc);
    await t.call('m').expectError('UNAVAILABLE', 'db down');
    await t.call('m').expectError('UNAVAILABLE', 'db down');
    expect(breaker.stateOf('s.m')).toBe('open');
    await t.call('m').expectError('UNAVAILABLE', 'circuit open');
    expect(calls).toBe(2);
    clock = 150;
    expect(breaker.stateOf('s.m')).toBe('half-open');
    // The probe fails: open again.
    await t.call('m').expectError('UNAVAILABLE', 'db down');
    expect(breaker.stateOf('s.m')).toBe('open');
    clock = 300;
    healthy = true;
    await t.call('m').expectOutput('ok');
    expect(breaker.stateOf('s.m')).toBe('closed');
    // Client errors never open the circuit.
    for (let i = 0; i < 5; i++) await t.call('client').expectError('INVALID_ARGUMENT');
    expect(breaker.stateOf('s.client')).toBe('closed');
    await t.close();
  });
});

group('bulkhead()', () => {
  it('bounds concurrency and its queue; extra calls get RESOURCE_EXHAUSTED', async () => {
    const gates: (() => void)[] = [];
    let running = 0;
    let peak = 0;
    const bh = bulkhead({ concurrency: 2, maxQueue: 1 });
    const svc = service('s', {
      m: method({
        middleware: [bh],
        handler: () =>
          new Promise<string>((resolve) => {
            running++;
            peak = Math.max(peak, running);
            gates.push(() => {
              running--;
              resolve('done');
            });
          }),
      }),
    });
    const t = testService(svc);
    const calls = [t.call('m'), t.call('m'), t.call('m')];
    await waitFor(() => gates.length === 2);
    expect(bh.running).toBe(2);
    expect(bh.queued).toBe(1);
    await t.call('m').expectError('RESOURCE_EXHAUSTED');
    gates.shift()!();
    await waitFor(() => gates.length === 2);
    for (const g of gates.splice(0)) g();
    expect(await Promise.all(calls)).toEqual(['done', 'done', 'done']);
    expect(peak).toBe(2);
    await t.close();
  });

  it('drops a queued call whose caller gave up', async () => {
    let release!: () => void;
    const bh = bulkhead({ concurrency: 1, maxQueue: 5 });
    let started = 0;
    const svc = service('s', {
      m: method({
        middleware: [bh],
        handler: () => {
          started++;
          return new Promise<string>((r) => (release = () => r('x')));
        },
      }),
    });
    const t = testService(svc);
    const first = t.call('m');
    await waitFor(() => started === 1);
    const ac = new AbortController();
    const second = t.call('m', undefined, { signal: ac.signal });
    await waitFor(() => bh.queued === 1);
    ac.abort();
    await second.expectError('CANCELLED');
    release();
    await first.expectOutput('x');
    await waitFor(() => bh.queued === 0);
    expect(started).toBe(1);
    await t.close();
  });

  it('refuses a bad concurrency', () => {
    expect(() => bulkhead({ concurrency: 0 })).toThrow(TypeError);
  });
});

group('rateLimit()', () => {
  it('allows a burst then refuses until tokens refill, per key', async () => {
    let clock = 0;
    const svc = service('s', {
      m: method({
        middleware: [
          rateLimit({
            rate: 10,
            burst: 2,
            now: () => clock,
            key: (ctx) => ctx.metadata.user ?? '-',
          }),
        ],
        handler: () => 'ok',
      }),
    });
    const t = testService(svc);
    const a = { metadata: { user: 'a' } };
    await t.call('m', undefined, a).expectOutput('ok');
    await t.call('m', undefined, a).expectOutput('ok');
    const err = await t.call('m', undefined, a).expectError('RESOURCE_EXHAUSTED');
    expect((err.data as { retryAfterMs: number }).retryAfterMs).toBe(100);
    await t.call('m', undefined, { metadata: { user: 'b' } }).expectOutput('ok');
    clock = 100;
    await t.call('m', undefined, a).expectOutput('ok');
    await t.call('m', undefined, a).expectError('RESOURCE_EXHAUSTED');
    await t.close();
  });

  it('keeps at most maxKeys buckets', async () => {
    const svc = service('s', {
      m: method({
        middleware: [
          rateLimit({ rate: 1, burst: 1, maxKeys: 2, key: (ctx) => ctx.metadata.k ?? '' }),
        ],
        handler: () => 'ok',
      }),
    });
    const t = testService(svc);
    for (const k of ['1', '2', '3'])
      await t.call('m', undefined, { metadata: { k } }).expectOutput('ok');
    // Key 1 was evicted, so it starts with a full bucket again.
    await t.call('m', undefined, { metadata: { k: '1' } }).expectOutput('ok');
    await t.call('m', undefined, { metadata: { k: '3' } }).expectError('RESOURCE_EXHAUSTED');
    await t.close();
  });
});

group('auth()', () => {
  it('sees metadata and connection info; refuses without a principal', async () => {
    let seen: Context['connection'] | undefined;
    const guard = auth((ctx) => {
      seen = ctx.connection;
      const token = ctx.metadata.authorization;
      if (token === 'Bearer admin') return { user: 'admin' };
      if (token === 'Bearer banned') throw new SwitchyardError('PERMISSION_DENIED', 'banned');
      return undefined;
    });
    const svc = service(
      's',
      {
        whoami: method({
          handler: (_i, ctx) => principalOf<{ user: string }>(ctx)?.user ?? 'nobody',
        }),
      },
      { middleware: [guard] },
    );
    const t = testService(svc);
    await t
      .call('whoami', undefined, { metadata: { authorization: 'Bearer admin' } })
      .expectOutput('admin');
    expect(seen?.gateway).toBe('test');
    expect(seen?.remoteAddress).toBe('127.0.0.1');
    await t.call('whoami').expectError('UNAUTHENTICATED');
    await t
      .call('whoami', undefined, { metadata: { authorization: 'Bearer banned' } })
      .expectError('PERMISSION_DENIED');
    await t.close();
  });

  it('can be optional', async () => {
    const svc = service(
      's',
      { whoami: method({ handler: (_i, ctx) => principalOf(ctx) ?? 'anonymous' }) },
      { middleware: [auth(() => null, { optional: true })] },
    );
    const t = testService(svc);
    await t.call('whoami').expectOutput('anonymous');
    await t.close();
  });
});

group('composition', () => {
  it('stacks rate limit, auth, circuit breaker, retry and timeout on one method', async () => {
    let calls = 0;
    const gw = memoryGateway();
    const svc = service('s', {
      m: method({
        idempotent: true,
        middleware: [
          rateLimit({ rate: 1000 }),
          auth((ctx) => ctx.metadata.token),
          circuitBreaker(),
          retry({ attempts: 3, backoff: 1 }),
          timeout(1000),
        ],
        handler: async () => {
          calls++;
          if (calls === 1) throw new SwitchyardError('UNAVAILABLE', 'blip');
          return 'ok';
        },
      }),
    });
    const edge = createEdge({ services: [svc], gateways: [gw], logger: silentLogger });
    await edge.start();
    expect(await gw.call('s.m', undefined, { metadata: { token: 't' } })).toBe('ok');
    await expect(gw.call('s.m')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(calls).toBe(2);
    await edge.shutdown({ timeout: 100 });
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 1));
  }
}
