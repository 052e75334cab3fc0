import { ClientPool, type ClientPoolOptions } from './client-pool.js';
import { SwitchyardError } from './error.js';
import { isMaybeExecuted } from './session.js';
import type { CallOptions, Session } from './session-types.js';

export interface RetryBudgetOptions {
  /** Retries allowed per call made, on average (default 0.2). */
  ratio?: number;
  /** Retries always allowed, as a floor (default 10 tokens). */
  minTokens?: number;
}

export interface FailoverPoolOptions<A> {
  addresses: readonly A[];
  /** Opens a session to one address. */
  connect: (address: A) => Promise<Session>;
  /** Options for the per-address ClientPool. */
  pool?: Omit<ClientPoolOptions, 'connect'>;
  /** Attempts per call across addresses (default 3). */
  maxAttempts?: number;
  retryBudget?: RetryBudgetOptions;
  /** Default overall timeout in ms across attempts (default 30 000). */
  defaultTimeout?: number;
  /** Timeout of one attempt in ms (default: whatever is left of the overall timeout). */
  attemptTimeout?: number;
  /** Retry a call only through a retryable code and this check (default: see `isRetrySafe`). */
  isRetrySafe?: (error: unknown, idempotent: boolean) => boolean;
}

/**
 * Whether retrying is safe (DESIGN.md principle 6): requests that never left
 * (refused, not sent, window or pending limits, GOAWAY) always; a timeout or a
 * connection lost mid-call only for idempotent methods.
 */
export function isRetrySafe(error: unknown, idempotent: boolean): boolean {
  if (!(error instanceof SwitchyardError)) return false;
  if (error.code === 'DEADLINE_EXCEEDED') return idempotent;
  if (isMaybeExecuted(error)) return idempotent;
  return error.retryable;
}

/**
 * Several addresses (replicas): calls go to the current address; on a
 * failure that is safe to retry they move to the next one, within a retry
 * budget so a sick cluster is not hit with a retry storm. Addresses can be
 * replaced while calls run.
 */
export class FailoverPool<A> {
  private readonly options: FailoverPoolOptions<A>;
  private pools = new Map<A, ClientPool>();
  private order: A[] = [];
  private current = 0;
  private tokens: number;
  private readonly ratio: number;
  private readonly maxTokens: number;
  private closed = false;

  constructor(options: FailoverPoolOptions<A>) {
    this.options = options;
    this.ratio = options.retryBudget?.ratio ?? 0.2;
    this.maxTokens = Math.max(1, options.retryBudget?.minTokens ?? 10);
    this.tokens = this.maxTokens;
    this.setAddresses(options.addresses);
  }

  get addresses(): readonly A[] {
    return this.order;
  }

  /** Retry tokens left (for tests and metrics). */
  get retryTokens(): number {
    return this.tokens;
  }

  /** Replaces the address list; pools for removed addresses drain and close. */
  setAddresses(addresses: readonly A[]): void {
    const next = new Map<A, ClientPool>();
    for (const a of addresses) {
      next.set(
        a,
        this.pools.get(a) ??
          new ClientPool({ ...this.options.pool, connect: () => this.options.connect(a) }),
      );
    }
    for (const [a, p] of this.pools) if (!next.has(a)) void p.close();
    this.pools = next;
    this.order = [...addresses];
    if (this.current >= this.order.length) this.current = 0;
  }

  async call<T = unknown>(method: string, input?: unknown, options: CallOptions = {}): Promise<T> {
    if (this.closed) throw new SwitchyardError('UNAVAILABLE', 'pool closed');
    const timeout = options.timeout ?? this.options.defaultTimeout ?? 30_000;
    const deadline = performance.now() + timeout;
    const attempts = Math.max(1, this.options.maxAttempts ?? 3);
    const safe = this.options.isRetrySafe ?? isRetrySafe;
    this.tokens = Math.min(this.maxTokens, this.tokens + this.ratio);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (this.order.length === 0) throw new SwitchyardError('UNAVAILABLE', 'no addresses');
      const index = this.current % this.order.length;
      const pool = this.pools.get(this.order[index]!)!;
      const left = deadline - performance.now();
      if (left <= 0) break;
      try {
        const perAttempt = Math.min(left, this.options.attemptTimeout ?? left);
        return await pool.call<T>(method, input, { ...options, timeout: perAttempt });
      } catch (error) {
        lastError = error;
        const idempotent = options.idempotent === true;
        if (!safe(error, idempotent)) throw error;
        // Move on from this address for later calls too.
        if (this.current % this.order.length === index)
          this.current = (index + 1) % this.order.length;
        if (attempt + 1 >= attempts) break;
        if (this.tokens < 1) throw error;
        this.tokens -= 1;
      }
    }
    throw (
      lastError ??
      new SwitchyardError('DEADLINE_EXCEEDED', `${method} timed out after ${timeout} ms`)
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}
