import { method, rest, rpc, SwitchyardError, service } from 'switchyard';

const num = (v: unknown, name: string): number => {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n))
    throw new SwitchyardError('INVALID_ARGUMENT', `${name} must be a number`);
  return n;
};

/**
 * One service, written once. Every gateway picks the selectors it knows:
 * REST routes for HTTP, RPC names for WebSocket and TCP.
 */
export const calc = service('calc', {
  add: method<{ a: number; b: number }, { sum: number; via: string }>({
    selectors: [rest('POST', '/add'), rpc('add')],
    handler: (input, ctx) => ({
      sum: num(input?.a, 'a') + num(input?.b, 'b'),
      via: ctx.connection.gateway,
    }),
  }),
  square: method<{ x: string }, { result: number; via: string }>({
    selectors: [rest('GET', '/square/:x')],
    handler: (input, ctx) => ({ result: num(input?.x, 'x') ** 2, via: ctx.connection.gateway }),
  }),
  countdown: method<{ from: number }, number>({
    kind: 'server-stream',
    selectors: [rest('GET', '/countdown')],
    async *handler(input) {
      const from = Math.min(100, Math.max(0, Math.floor(num(input?.from, 'from'))));
      for (let i = from; i >= 0; i--) yield i;
    },
  }),
});
