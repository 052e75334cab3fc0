import { method, type ServiceDef, service } from '@switchyard/core';
import type { ClusterNode } from '../src/index.js';
import { clusterInfoService, FORWARDED_BY, placeBy } from '../src/index.js';

/** What the test owner of a stream call saw, for assertions in the same process. */
export interface StreamProbe {
  /** Items the owner's handler read. */
  read: number;
  /** The owner's handler saw its signal abort. */
  aborted: boolean;
  /** Remaining ms the owner saw when the call started. */
  remaining: number;
  /** Resolves the owner's wait in `acct.hold`. */
  release: () => void;
}

export function newProbe(): StreamProbe {
  return { read: 0, aborted: false, remaining: Number.NaN, release: () => {} };
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal.reason);
    };
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });

/**
 * The keyed test service every test node serves: unary calls keyed by an
 * input field, stream calls keyed by the `acct` metadata entry, plus the
 * cluster's info and stats.
 */
export function acctServices(id: string, cluster: ClusterNode, probe = newProbe()) {
  return [
    acctService(id, probe),
    service('info', {
      members: method<void, { id: string; status: string }[]>({
        handler: () => cluster.members().map((m) => ({ id: m.id, status: m.status })),
      }),
      stats: method<void, { forwardedOut: number; forwardedIn: number }>({
        handler: () => cluster.stats(),
      }),
    }),
    clusterInfoService(cluster),
  ] as const satisfies readonly ServiceDef[];
}

export function acctService(id: string, probe: StreamProbe) {
  return service('acct', {
    whoOwns: method<{ id: string }, { node: string; forwardedBy: string | null }>({
      selectors: [placeBy('id')],
      handler: (_i, ctx) => ({ node: id, forwardedBy: ctx.metadata[FORWARDED_BY] ?? null }),
    }),
    slowWrite: method<{ id: string; ms: number }, string>({
      selectors: [placeBy('id')],
      handler: async (input, ctx) => {
        await sleep(input.ms, ctx.signal);
        return id;
      },
    }),
    slowRead: method<{ id: string; ms: number }, string>({
      selectors: [placeBy('id')],
      idempotent: true,
      handler: async (input, ctx) => {
        await sleep(input.ms, ctx.signal);
        return id;
      },
    }),
    /** Sums the numbers sent; `delay` ms per item makes the owner a slow reader. */
    tally: method<number, { node: string; sum: number; count: number }>({
      kind: 'client-stream',
      selectors: [placeBy('acct', 'metadata')],
      handler: async (items, ctx) => {
        probe.remaining = ctx.remaining();
        const delay = Number(ctx.metadata.delay ?? 0);
        let sum = 0;
        let count = 0;
        try {
          for await (const v of items) {
            probe.read++;
            if (typeof v === 'number' && v < 0) throw new Error('negative');
            sum += v;
            count++;
            if (delay > 0) await sleep(delay, ctx.signal);
          }
        } finally {
          if (ctx.signal.aborted) probe.aborted = true;
        }
        return { node: id, sum, count };
      },
    }),
    /** Echoes each item as `node:item`; after `failAfter` items it fails. */
    echo: method<string, string>({
      kind: 'bidi',
      selectors: [placeBy('acct', 'metadata')],
      async *handler(items, ctx) {
        probe.remaining = ctx.remaining();
        const failAfter = Number(ctx.metadata.failAfter ?? Number.POSITIVE_INFINITY);
        const delay = Number(ctx.metadata.delay ?? 0);
        let seen = 0;
        try {
          for await (const v of items) {
            probe.read++;
            if (++seen > failAfter) throw new Error('owner gave up');
            if (delay > 0) await sleep(delay, ctx.signal);
            yield `${id}:${v}`;
          }
        } finally {
          if (ctx.signal.aborted) probe.aborted = true;
        }
      },
    }),
  });
}
