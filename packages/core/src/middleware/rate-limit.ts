import { SwitchyardError } from '@switchyard/stream';
import type { Context } from '../context.js';
import type { Middleware } from '../middleware.js';

export interface RateLimitOptions {
  /** Tokens added per second. */
  rate: number;
  /** Bucket size: the largest burst (default: `rate`). */
  burst?: number;
  /** One bucket per key (default: one per remote address). */
  key?: (ctx: Context) => string;
  /** Buckets kept; the least recently used go first (default 10 000). */
  maxKeys?: number;
  /** For tests: a clock in ms. */
  now?: () => number;
}

interface Bucket {
  tokens: number;
  at: number;
}

const byRemote = (ctx: Context): string => ctx.connection.remoteAddress ?? ctx.connection.id;

/**
 * Token bucket rate limit: each call takes a token, tokens refill at `rate`
 * per second up to `burst`. Over the limit: RESOURCE_EXHAUSTED with
 * `data.retryAfterMs`. No timers: buckets refill when read.
 */
export function rateLimit(options: RateLimitOptions): Middleware {
  const rate = options?.rate;
  if (!(typeof rate === 'number' && rate > 0)) throw new TypeError('rateLimit(): rate must be > 0');
  const burst = Math.max(1, options.burst ?? rate);
  const key = options.key ?? byRemote;
  const maxKeys = Math.max(1, Math.floor(options.maxKeys ?? 10_000));
  const now = options.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();
  const perMs = rate / 1000;

  return function rateLimitMiddleware(ctx, next) {
    const k = key(ctx);
    const t = now();
    let b = buckets.get(k);
    if (b === undefined) {
      if (buckets.size >= maxKeys) {
        const oldest = buckets.keys().next();
        if (!oldest.done) buckets.delete(oldest.value);
      }
      b = { tokens: burst, at: t };
    } else {
      // Re-insert to keep Map order = recency order (LRU eviction above).
      buckets.delete(k);
      b.tokens = Math.min(burst, b.tokens + (t - b.at) * perMs);
      b.at = t;
    }
    buckets.set(k, b);
    if (b.tokens < 1) {
      const retryAfterMs = Math.ceil((1 - b.tokens) / perMs);
      return Promise.reject(
        new SwitchyardError('RESOURCE_EXHAUSTED', `rate limit exceeded for ${ctx.method.name}`, {
          data: { retryAfterMs },
        }),
      );
    }
    b.tokens -= 1;
    return next();
  };
}
