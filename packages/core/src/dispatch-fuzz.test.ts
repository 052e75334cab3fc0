import fc from 'fast-check';
import { expect, it } from 'vitest';
import { z } from 'zod';
import { createEdge } from './edge.js';
import { silentLogger } from './logger.js';
import { memoryGateway } from './memory-gateway.js';
import { method } from './method.js';
import { service } from './service.js';

const svc = service('f', {
  m: method({
    input: z.object({ id: z.string().max(10), n: z.number().int() }),
    output: z.object({ ok: z.boolean() }),
    handler: async (input) => ({ ok: input.n > 0 }),
  }),
});

it('answers any input with an output or INVALID_ARGUMENT, never a crash (SEED= replays)', async () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  const gw = memoryGateway();
  const edge = createEdge({ services: [svc], gateways: [gw], logger: silentLogger });
  await edge.start();
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.anything(),
          fc.record({ id: fc.string(), n: fc.oneof(fc.integer(), fc.double()) }),
        ),
        fc.constantFrom('f.m', 'f.nope', 'm', ''),
        async (input, name) => {
          try {
            const out = await gw.call(name, input);
            expect(name).toBe('f.m');
            expect(out).toEqual({ ok: expect.any(Boolean) });
          } catch (error) {
            const code = (error as { code?: string }).code;
            expect(name === 'f.m' ? ['INVALID_ARGUMENT'] : ['NOT_FOUND']).toContain(code);
          }
        },
      ),
      { seed, numRuns: process.env.SWITCHYARD_SOAK ? 20_000 : 300 },
    );
  } catch (error) {
    console.error(`SEED=${seed}`);
    throw error;
  } finally {
    await edge.shutdown({ timeout: 100 });
  }
  expect(edge.inFlight).toBe(0);
});
