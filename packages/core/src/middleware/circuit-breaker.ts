import { type ErrorCode, SwitchyardError } from '@switchyard/stream';
import type { Middleware } from '../middleware.js';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long it stays open before letting a probe through, ms (default 10 000). */
  resetTimeout?: number;
  /** Which errors count as failures of the server; default: server-side codes. */
  isFailure?: (error: unknown) => boolean;
  /** For tests: a clock in ms. */
  now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half-open';

const SERVER_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INTERNAL',
  'UNKNOWN',
  'UNAVAILABLE',
  'DEADLINE_EXCEEDED',
  'DATA_LOSS',
]);

const defaultIsFailure = (error: unknown): boolean =>
  !(error instanceof SwitchyardError) || SERVER_FAULTS.has(error.code);

interface Circuit {
  state: CircuitState;
  failures: number;
  openedAt: number;
  probing: boolean;
}

export interface CircuitBreaker extends Middleware {
  /** State of one method's circuit (by canonical name), for health checks and tests. */
  stateOf(method: string): CircuitState;
}

/**
 * One circuit per method it wraps: after `failureThreshold` consecutive server
 * faults, calls fail fast with UNAVAILABLE for `resetTimeout` ms; then a single
 * probe call decides whether it closes again. Client errors (bad input, auth)
 * never open it.
 */
export function circuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = Math.max(1, Math.floor(options.failureThreshold ?? 5));
  const resetTimeout = Math.max(1, options.resetTimeout ?? 10_000);
  const isFailure = options.isFailure ?? defaultIsFailure;
  const now = options.now ?? (() => performance.now());
  const circuits = new Map<string, Circuit>();

  const circuitOf = (name: string): Circuit => {
    let c = circuits.get(name);
    if (!c) circuits.set(name, (c = { state: 'closed', failures: 0, openedAt: 0, probing: false }));
    return c;
  };

  const mw = async function circuitBreakerMiddleware(
    ctx: Parameters<Middleware>[0],
    next: Parameters<Middleware>[1],
  ): Promise<unknown> {
    const c = circuitOf(ctx.method.name);
    let probe = false;
    if (c.state === 'open') {
      if (now() - c.openedAt < resetTimeout || c.probing) {
        throw new SwitchyardError('UNAVAILABLE', `circuit open for ${ctx.method.name}`, {
          data: { retryAfterMs: Math.max(0, Math.ceil(resetTimeout - (now() - c.openedAt))) },
        });
      }
      c.state = 'half-open';
    }
    if (c.state === 'half-open') {
      if (c.probing)
        throw new SwitchyardError('UNAVAILABLE', `circuit half-open for ${ctx.method.name}`);
      c.probing = true;
      probe = true;
    }
    try {
      const value = await next();
      c.failures = 0;
      c.state = 'closed';
      return value;
    } catch (error) {
      if (isFailure(error)) {
        c.failures++;
        if (probe || c.failures >= threshold) {
          c.state = 'open';
          c.openedAt = now();
        }
      } else if (probe) {
        c.state = 'closed';
        c.failures = 0;
      }
      throw error;
    } finally {
      if (probe) c.probing = false;
    }
  } as CircuitBreaker;
  mw.stateOf = (name: string) => {
    const c = circuits.get(name);
    if (!c) return 'closed';
    if (c.state === 'open' && now() - c.openedAt >= resetTimeout) return 'half-open';
    return c.state;
  };
  return mw;
}
