import { Backoff, type BackoffOptions } from './backoff.js';
import { SwitchyardError } from './error.js';
import type { CallOptions, Session } from './session-types.js';

export interface ClientPoolOptions {
  /** Opens one session (e.g. `() => connectSession(address, opts)` from @switchyard/tcp). */
  connect: () => Promise<Session>;
  /** Most sessions to keep (default 4); a new one opens only when all open ones are busy. */
  maxSessions?: number;
  backoff?: BackoffOptions;
  /** Ping interval for health and RTT, ms (default 5000; 0 disables). */
  healthInterval?: number;
  /** A ping without PONG for this long closes the session as dead (default 2000 ms). */
  healthTimeout?: number;
  /** How long `acquire` waits for a session when none is open (default 10 000 ms). */
  acquireTimeout?: number;
  random?: () => number;
}

interface Slot {
  session: Session;
  healthy: boolean;
}

/**
 * Several sessions to one address: least-in-flight pick, health from PING/PONG
 * round trips, reconnect with backoff and jitter, and recovery once the
 * server is back. Sessions open lazily, up to `maxSessions`.
 */
export class ClientPool {
  private readonly options: ClientPoolOptions;
  private readonly max: number;
  private readonly slots: Slot[] = [];
  private connecting: Promise<Session> | undefined;
  private readonly backoff: Backoff;
  private retryAt = 0;
  private lastError: Error | undefined;
  private closed = false;
  private readonly healthTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: ClientPoolOptions) {
    this.options = options;
    this.max = Math.max(1, options.maxSessions ?? 4);
    this.backoff = new Backoff(options.backoff, options.random);
    const interval = options.healthInterval ?? 5000;
    if (interval > 0) {
      this.healthTimer = setInterval(() => this.checkHealth(), interval);
      this.healthTimer.unref();
    }
  }

  /** Open sessions right now. */
  get size(): number {
    return this.slots.length;
  }

  /** Calls in flight over all sessions. */
  get inFlight(): number {
    let n = 0;
    for (const s of this.slots) n += s.session.inFlight;
    return n;
  }

  private pick(): Slot | undefined {
    let best: Slot | undefined;
    for (const s of this.slots) {
      if (s.session.draining) continue;
      if (
        !best ||
        (s.healthy && !best.healthy) ||
        (s.healthy === best.healthy && s.session.inFlight < best.session.inFlight) ||
        (s.healthy === best.healthy &&
          s.session.inFlight === best.session.inFlight &&
          (s.session.rtt ?? Number.POSITIVE_INFINITY) <
            (best.session.rtt ?? Number.POSITIVE_INFINITY))
      ) {
        best = s;
      }
    }
    return best;
  }

  private open(): Promise<Session> {
    if (this.connecting) return this.connecting;
    const wait = Math.max(0, this.retryAt - performance.now());
    const attempt = async (): Promise<Session> => {
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if (this.closed) throw new SwitchyardError('UNAVAILABLE', 'pool closed');
      try {
        const session = await this.options.connect();
        this.backoff.reset();
        this.retryAt = 0;
        if (this.closed) {
          session.close();
          throw new SwitchyardError('UNAVAILABLE', 'pool closed');
        }
        const slot: Slot = { session, healthy: true };
        this.slots.push(slot);
        void session.closed.then(() => {
          const i = this.slots.indexOf(slot);
          if (i >= 0) this.slots.splice(i, 1);
        });
        return session;
      } catch (error) {
        this.lastError = error instanceof Error ? error : new Error(String(error));
        this.retryAt = performance.now() + this.backoff.next();
        throw error;
      }
    };
    const p = attempt().finally(() => {
      if (this.connecting === p) this.connecting = undefined;
    });
    this.connecting = p;
    return p;
  }

  /** A session to use now: the least busy open one, or a new one. */
  async acquire(signal?: AbortSignal): Promise<Session> {
    if (this.closed) throw new SwitchyardError('UNAVAILABLE', 'pool closed');
    const best = this.pick();
    if (best) {
      // Grow in the background when every open session is busy.
      if (
        best.session.inFlight > 0 &&
        this.slots.length < this.max &&
        !this.connecting &&
        performance.now() >= this.retryAt
      ) {
        this.open().catch(() => {});
      }
      return best.session;
    }
    const deadline = performance.now() + (this.options.acquireTimeout ?? 10_000);
    while (true) {
      if (signal?.aborted) throw new SwitchyardError('CANCELLED', 'acquire aborted');
      try {
        return await this.open();
      } catch (error) {
        if (this.closed) throw error;
        const again = this.pick();
        if (again) return again.session;
        if (Math.max(this.retryAt, performance.now()) >= deadline) {
          const why = this.lastError?.message ?? 'no session';
          throw new SwitchyardError('UNAVAILABLE', `no connection available: ${why}`, {
            cause: this.lastError,
          });
        }
      }
    }
  }

  async call<T = unknown>(method: string, input?: unknown, options?: CallOptions): Promise<T> {
    const session = await this.acquire(options?.signal);
    return session.call<T>(method, input, options);
  }

  private checkHealth(): void {
    const timeout = this.options.healthTimeout ?? 2000;
    for (const slot of this.slots) {
      let done = false;
      const t = setTimeout(() => {
        if (!done) {
          slot.healthy = false;
          slot.session.close(new SwitchyardError('UNAVAILABLE', `no PONG within ${timeout} ms`));
        }
      }, timeout);
      t.unref();
      slot.session.ping().then(
        () => {
          done = true;
          slot.healthy = true;
          clearTimeout(t);
        },
        () => {
          done = true;
          slot.healthy = false;
          clearTimeout(t);
        },
      );
    }
  }

  /** Drains every session (GOAWAY) and stops reconnecting. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.healthTimer) clearInterval(this.healthTimer);
    await Promise.all(this.slots.map((s) => s.session.goaway()));
  }
}
