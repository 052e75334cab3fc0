import { connectSession, listen } from '@switchyard/tcp';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { createClient } from './client.js';
import { createEdge } from './edge.js';
import { silentLogger } from './logger.js';
import { method } from './method.js';
import { timeout } from './middleware/timeout.js';
import { rest, rpc } from './selectors.js';
import { service } from './service.js';
import { streamGateway } from './stream-gateway.js';
import { testService } from './test-service.js';

// The README's example, kept runnable (port 0 instead of 4000).
const greeter = service('greeter', {
  hello: method({
    input: z.object({ name: z.string().min(1) }),
    output: z.object({ msg: z.string() }),
    selectors: [rpc('hello'), rest('GET', '/hello/:name')],
    idempotent: true,
    timeout: 2000,
    handler: async (input, ctx) => ({
      msg: `hi ${input.name} from ${ctx.connection.remoteAddress}`,
    }),
  }),
  ticks: method({
    kind: 'server-stream',
    input: z.object({ count: z.number().int().max(100) }),
    async *handler(input) {
      for (let i = 0; i < input.count; i++) yield { i };
    },
  }),
});

it('runs the README service over TCP', async () => {
  const listener = await listen({ host: '127.0.0.1', port: 0 });
  const edge = createEdge({
    services: [greeter],
    gateways: [streamGateway(listener)],
    middleware: [timeout(5000)],
    logger: silentLogger,
  });
  await edge.start();
  const session = await connectSession({ host: '127.0.0.1', port: listener.address.port! });
  try {
    const client = createClient<typeof greeter>(session);
    const out = await client.greeter.hello({ name: 'ann' }, { timeout: 1000 });
    expect(out.msg).toMatch(/^hi ann from .*127\.0\.0\.1$/);
    const ticks: number[] = [];
    for await (const t of client.greeter.ticks({ count: 3 })) ticks.push(t.i);
    expect(ticks).toEqual([0, 1, 2]);
  } finally {
    session.close();
    await edge.shutdown({ timeout: 1000 });
    listener.destroyConnections();
  }
});

it('runs the README testing-kit example', async () => {
  const t = testService(greeter);
  await t.call('hello', { name: 'ann' }).expectOutput({ msg: 'hi ann from 127.0.0.1' });
  await t.call('hello', { name: '' }).expectError('INVALID_ARGUMENT');
  await t.stream('ticks', { count: 2 }).expectItems([{ i: 0 }, { i: 1 }]);
  expect(t.pushes).toEqual([]);
  await t.close();
});
