/**
 * core/dispatch: the serial overhead of the edge dispatch path (memory gateway
 * → dispatch → handler → back) over calling the handler directly, heap
 * allocated per call, and retained heap after 1M dispatched calls.
 *
 *   pnpm --filter @switchyard/core bench
 *
 * Runs with --expose-gc and a large young generation so a batch of calls can be
 * measured between two collections.
 */
import { z } from 'zod';
import {
  type Context,
  createEdge,
  memoryGateway,
  method,
  service,
  silentLogger,
} from '../src/index.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc (pnpm --filter @switchyard/core bench does)');

const handler = async (input: { name: string }, _ctx: Context): Promise<{ msg: string }> => ({
  msg: input.name,
});
const zodIn = z.object({ name: z.string() });
const zodOut = z.object({ msg: z.string() });

const svc = service('bench', {
  echo: method<{ name: string }, { msg: string }>({ handler }),
  echoZod: method({ input: zodIn, output: zodOut, handler }),
  echoSync: method<{ name: string }, { msg: string }>({
    handler: (input) => ({ msg: input.name }),
  }),
});

const gw = memoryGateway();
const edge = createEdge({ services: [svc], gateways: [gw], logger: silentLogger });
await edge.start();
const input = { name: 'bench' };
const fakeCtx = {} as Context;
const echoEntry = edge.lookup('bench.echo')!;
const conn = gw.connection;

type Op = () => Promise<unknown>;
const ops: Record<string, Op> = {
  direct: () => handler(input, fakeCtx),
  dispatch: () => gw.call('bench.echo', input),
  'dispatch-entry': () => edge.dispatch({ method: echoEntry, input, connection: conn }),
  'dispatch-sync-handler': () => gw.call('bench.echoSync', input),
  'dispatch-zod': () => gw.call('bench.echoZod', input),
};

async function timeOp(op: Op, n: number): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op();
  return Number(process.hrtime.bigint() - t0) / n;
}

/**
 * Bytes allocated per call: heap growth over a batch small enough to fit in the
 * (enlarged) young generation. A collection during the batch can only shrink
 * the figure, so the largest of a few tries is the estimate.
 */
async function heapPerCall(op: Op, n = 5000): Promise<number> {
  let best = 0;
  for (let attempt = 0; attempt < 5; attempt++) {
    gc!();
    await new Promise((r) => setImmediate(r));
    const h0 = process.memoryUsage().heapUsed;
    for (let i = 0; i < n; i++) await op();
    const h1 = process.memoryUsage().heapUsed;
    best = Math.max(best, (h1 - h0) / n);
  }
  return best;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};

const N = 200_000;
const ROUNDS = 7;
// Warm up every path so the JIT has settled before measuring.
for (const op of Object.values(ops)) await timeOp(op, 50_000);

const ns: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  // Interleave the ops so machine noise hits them alike.
  for (const [name, op] of Object.entries(ops)) (ns[name] ??= []).push(await timeOp(op, N));
}
const med: Record<string, number> = {};
for (const [name, xs] of Object.entries(ns)) med[name] = median(xs);

const heap: Record<string, number> = {};
for (const [name, op] of Object.entries(ops)) heap[name] = await heapPerCall(op);

// Retained memory: 1M dispatched calls between two full collections.
gc();
await new Promise((r) => setImmediate(r));
gc();
const before = process.memoryUsage().heapUsed;
for (let i = 0; i < 1_000_000; i++) await gw.call('bench.echo', input);
gc();
await new Promise((r) => setImmediate(r));
gc();
const retained = process.memoryUsage().heapUsed - before;

await edge.shutdown({ timeout: 1000 });

const overhead = med.dispatch! - med.direct!;
const rows = Object.keys(ops).map((name) => ({
  name,
  'ns/op (median)': med[name]!.toFixed(0),
  'heap B/call': Number.isNaN(heap[name]!) ? 'n/a' : heap[name]!.toFixed(0),
}));
console.log(`core/dispatch: ${ROUNDS} rounds × ${N} serial calls, Node ${process.version}`);
console.table(rows);
console.log(`overhead dispatch - direct: ${overhead.toFixed(0)} ns/call (target ≤ 1000)`);
console.log(`retained heap after 1M dispatched calls: ${(retained / 1024).toFixed(1)} KiB`);

const results = [
  ...Object.keys(ops).map((name) => ({
    name: `${name}`,
    value: Math.round(med[name]!),
    unit: 'ns/op',
  })),
  { name: 'overhead', value: Math.round(overhead), unit: 'ns' },
  ...Object.keys(ops).map((name) => ({
    name: `${name}-heap`,
    value: Number.isNaN(heap[name]!) ? -1 : Math.round(heap[name]!),
    unit: 'B/call',
  })),
  { name: 'retained-after-1M', value: Math.round(retained), unit: 'B' },
];
const ratios = {
  'dispatch/direct': Number((med.dispatch! / med.direct!).toFixed(2)),
  'dispatch-zod/dispatch': Number((med['dispatch-zod']! / med.dispatch!).toFixed(2)),
};
console.log(JSON.stringify({ bench: 'core/dispatch', results, ratios }));
