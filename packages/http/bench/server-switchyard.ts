// Switchyard: one service, one REST selector, served by the HTTP gateway
// through a full edge (context, middleware chain, error model). Like the
// baselines it does not validate by default; BENCH_SCHEMA=zod adds a zod input
// schema (the `switchyard+zod` row), to show what validation costs.
import { createEdge, method, rest, service, silentLogger } from '@switchyard/core';
import { z } from 'zod';
import { httpGateway } from '../src/index.js';

const input = process.env.BENCH_SCHEMA === 'zod' ? { input: z.object({ id: z.string() }) } : {};

const echo = service('echo', {
  get: method<{ id: string }, { id: string }>({
    ...input,
    selectors: [rest('GET', '/echo/:id')],
    handler: (input) => ({ id: input.id }),
  }),
});
const gateway = httpGateway({ host: '127.0.0.1', port: 0 });
const edge = createEdge({ services: [echo], gateways: [gateway], logger: silentLogger });
await edge.start();
console.log(`PORT ${gateway.port}`);
