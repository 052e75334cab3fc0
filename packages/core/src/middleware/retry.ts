import { SwitchyardError } from '@switchyard/stream';
import { type Middleware, reentrant } from '../middleware.js';

export interface RetryOptions {
  /** Total tries including the first (default 3, max 10). */
  attempts?: number;
  /** First backoff in ms, doubled each retry with full jitter (default 20). */
  backoff?: number;
  /** Largest backoff in ms (default 1000). */
  maxBackoff?: number;
  /** Which errors to retry; default: retryable codes plus DEADLINE_EXCEEDED. */
  retryOn?: (error: SwitchyardError) => boolean;
  /** For tests: replaces Math.random in the jitter. */
  random?: () => number;
}

const defaultRetryOn = (error: SwitchyardError): boolean =>
  error.retryable || error.code === 'DEADLINE_EXCEEDED';

/**
 * Retries failed calls of methods marked `idempotent` (others run once: a
 * repeated side effect is worse than an error). Stops early when the call's
 * deadline would pass during the backoff or the call was aborted.
 */
export function retry(options: RetryOptions = {}): Middleware {
  const attempts = Math.min(Math.max(1, Math.floor(options.attempts ?? 3)), 10);
  const base = Math.max(0, options.backoff ?? 20);
  const max = Math.max(base, options.maxBackoff ?? 1000);
  const retryOn = options.retryOn ?? defaultRetryOn;
  const random = options.random ?? Math.random;
  return reentrant(async function retryMiddleware(ctx, next) {
    if (!ctx.method.idempotent || ctx.method.kind !== 'unary') return next();
    for (let attempt = 1; ; attempt++) {
      try {
        return await next();
      } catch (error) {
        if (!(error instanceof SwitchyardError) || attempt >= attempts || !retryOn(error))
          throw error;
        if (ctx.signal.aborted) throw error;
        const delay = Math.floor(random() * Math.min(max, base * 2 ** (attempt - 1)));
        if (delay >= ctx.remaining()) throw error;
        ctx.logger.debug('retrying', { method: ctx.method.name, attempt, code: error.code });
        if (delay > 0) await sleep(delay, ctx.signal);
      }
    }
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    // An abort ends the wait early; the next attempt then fails with the abort reason.
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
