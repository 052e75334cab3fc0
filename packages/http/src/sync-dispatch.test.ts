import {
  createEdge,
  type DispatchRequest,
  type GatewayHost,
  type MethodEntry,
  method,
  rest,
  SwitchyardError,
  service,
  silentLogger,
} from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpGateway, httpGateway } from './http-gateway.js';

// An edge answers a synchronous handler synchronously through the optional
// `dispatchNow()`: the value itself instead of a promise. The gateway must then
// answer inside the uWS route callback, attaching onAborted only where the
// response outlives it (large bodies, streams), and still serve hosts that
// only have `dispatch()`. Host stand-ins drive both paths with the same answers.

const svc = service('sync', {
  echo: method({ selectors: [rest('GET', '/echo/:id')], handler: () => null }),
  none: method({ selectors: [rest('GET', '/none')], handler: () => null }),
  refuse: method({ selectors: [rest('GET', '/refuse')], handler: () => null }),
  big: method({ selectors: [rest('GET', '/big')], handler: () => null }),
  later: method({ selectors: [rest('GET', '/later')], handler: () => null }),
  items: method({
    kind: 'server-stream',
    selectors: [rest('GET', '/items')],
    handler: () => [],
  }),
});

const BIG = 'b'.repeat(512 * 1024);

/** What the stand-in edge does per method, all without a promise but `later`. */
function answer(request: DispatchRequest): unknown {
  const entry = request.method as MethodEntry;
  const input = request.input as Record<string, unknown>;
  switch (entry.method) {
    case 'echo':
      return { id: input.id };
    case 'none':
      return undefined;
    case 'refuse':
      throw new SwitchyardError('PERMISSION_DENIED', 'no');
    case 'big':
      return { data: BIG };
    case 'later':
      return Promise.resolve({ later: true });
    case 'items':
      return (function* () {
        yield 1;
        yield 2;
      })();
    default:
      throw new Error(`unexpected ${entry.name}`);
  }
}

function standIn(methods: readonly MethodEntry[], withDispatchNow: boolean): GatewayHost {
  return {
    dispatch: async (request) => answer(request),
    ...(withDispatchNow ? { dispatchNow: answer } : {}),
    lookup: (id) => methods.find((m) => m.id === id || m.name === id),
    logger: silentLogger,
    limits: { maxInputBytes: 1024 * 1024 },
    draining: false,
    connectionOpened: () => {},
    connectionClosed: () => {},
    publish: () => {},
  };
}

describe.each([
  ['an edge that answers synchronously (dispatchNow)', true],
  ['an edge with dispatch() only', false],
])('%s', (_name, withDispatchNow) => {
  let gateway: HttpGateway;
  let base: string;

  beforeAll(async () => {
    const methods = createEdge({ services: [svc], logger: silentLogger }).methods;
    gateway = httpGateway({ host: '127.0.0.1', port: 0 });
    gateway.register(methods);
    await gateway.start(standIn(methods, withDispatchNow));
    base = `http://127.0.0.1:${gateway.port}`;
  });

  afterAll(async () => {
    await gateway.stop({ timeout: 1000 });
  });

  it('answers values, 204s and thrown errors', async () => {
    const ok = await fetch(`${base}/echo/7`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: '7' });
    const none = await fetch(`${base}/none`);
    expect(none.status).toBe(204);
    const refused = await fetch(`${base}/refuse`);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ code: 'PERMISSION_DENIED', message: 'no' });
    const head = await fetch(`${base}/echo/7`, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe('10');
    expect(gateway.inFlight).toBe(0);
  });

  it('serves a promise, and bodies and streams that outlive the route callback', async () => {
    expect(await (await fetch(`${base}/later`)).json()).toEqual({ later: true });
    const big = await fetch(`${base}/big`);
    expect(((await big.json()) as { data: string }).data).toBe(BIG);
    const stream = await fetch(`${base}/items`);
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    const text = await stream.text();
    expect(text).toContain('data: 1\n\n');
    expect(text).toContain('data: 2\n\n');
    expect(text).toContain('event: end');
    expect(gateway.inFlight).toBe(0);
  });
});
