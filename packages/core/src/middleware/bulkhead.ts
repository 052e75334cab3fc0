import { SwitchyardError } from '@switchyard/stream';
import PQueue from 'p-queue';
import type { Middleware } from '../middleware.js';

export interface BulkheadOptions {
  /** Calls running at once through this bulkhead. */
  concurrency: number;
  /** Calls allowed to wait for a slot; more fail with RESOURCE_EXHAUSTED (default 0: fail fast). */
  maxQueue?: number;
}

export interface Bulkhead extends Middleware {
  readonly running: number;
  readonly queued: number;
}

/**
 * Bounded concurrency with a bounded wait queue (p-queue): protects a slow
 * dependency from piling up work. Shared by every method it is attached to.
 * For output streams the slot is held until the handler returned its stream.
 */
export function bulkhead(options: BulkheadOptions): Bulkhead {
  const concurrency = Math.floor(options?.concurrency ?? 0);
  if (!(concurrency >= 1)) throw new TypeError('bulkhead(): concurrency must be >= 1');
  const maxQueue = Math.max(0, Math.floor(options.maxQueue ?? 0));
  const queue = new PQueue({ concurrency });
  const mw = function bulkheadMiddleware(
    ctx: Parameters<Middleware>[0],
    next: Parameters<Middleware>[1],
  ): Promise<unknown> {
    if (queue.pending >= concurrency && queue.size >= maxQueue) {
      return Promise.reject(
        new SwitchyardError('RESOURCE_EXHAUSTED', `bulkhead full for ${ctx.method.name}`, {
          data: { concurrency, maxQueue },
        }),
      );
    }
    // A caller that gives up while queued leaves the queue instead of running later.
    return queue.add(() => next(), { signal: ctx.signal });
  } as Bulkhead;
  Object.defineProperties(mw, {
    running: { get: () => queue.pending },
    queued: { get: () => queue.size },
  });
  return mw;
}
