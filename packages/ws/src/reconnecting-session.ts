import {
  type BidiCall,
  type CallOptions,
  type ClientStreamCall,
  type ConnectionInfo,
  type NotifyOptions,
  type PushListener,
  type Session,
  SwitchyardError,
} from '@switchyard/stream';

export interface ReconnectOptions {
  /** First delay after a lost connection, ms (default 100). */
  initialDelay?: number;
  /** Cap on the delay, ms (default 10 000). */
  maxDelay?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
  /** Consecutive failed attempts before giving up and closing (default Infinity). */
  maxAttempts?: number;
}

export interface ReconnectingSessionOptions extends ReconnectOptions {
  /** Calls waiting for the next connection; more fail with RESOURCE_EXHAUSTED (default 1024). */
  maxWaiting?: number;
  /** How long a call waits for a connection when it has no timeout of its own, ms (default 30 000). */
  defaultTimeout?: number;
  /** Runs for every new underlying session (e.g. to subscribe again). */
  onConnect?: (session: Session) => void;
  /** For logs: a connection attempt failed; `delay` is the wait before the next one. */
  onReconnectError?: (error: Error, attempt: number, delay: number) => void;
}

interface Waiter {
  resolve(session: Session): void;
  reject(error: Error): void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

function unavailable(message: string): SwitchyardError {
  return new SwitchyardError('UNAVAILABLE', message);
}

/**
 * A `Session` that survives lost connections: it opens a new underlying
 * session with exponential backoff and jitter, and calls made while
 * disconnected wait (bounded in number and time) for it. Calls in flight when
 * a connection drops fail with UNAVAILABLE, as on any session: only the caller
 * knows whether retrying them is safe.
 */
export class ReconnectingSession implements Session {
  readonly ready: Promise<void>;
  readonly closed: Promise<void>;
  private current: Session | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly pushListeners = new Set<PushListener>();
  private stopped = false;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private resolveClosed!: () => void;
  private readonly fallbackInfo: ConnectionInfo;
  private readonly initialDelay: number;
  private readonly maxDelay: number;
  private readonly factor: number;
  private readonly maxAttempts: number;
  private readonly maxWaiting: number;
  private readonly defaultTimeout: number;

  constructor(
    first: Session,
    private readonly open: () => Promise<Session>,
    private readonly options: ReconnectingSessionOptions = {},
  ) {
    this.initialDelay = options.initialDelay ?? 100;
    this.maxDelay = options.maxDelay ?? 10_000;
    this.factor = options.factor ?? 2;
    this.maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
    this.maxWaiting = options.maxWaiting ?? 1024;
    this.defaultTimeout = options.defaultTimeout ?? 30_000;
    this.fallbackInfo = first.info;
    this.ready = first.ready;
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });
    this.adopt(first);
  }

  get info(): ConnectionInfo {
    return this.current?.info ?? this.fallbackInfo;
  }

  get inFlight(): number {
    return (this.current?.inFlight ?? 0) + this.waiters.size;
  }

  get draining(): boolean {
    return this.stopped;
  }

  get isClosed(): boolean {
    return this.stopped && (this.current === undefined || this.current.isClosed);
  }

  get rtt(): number | undefined {
    return this.current?.rtt;
  }

  /** True while a live connection is up. */
  get connected(): boolean {
    return this.live() !== undefined;
  }

  private live(): Session | undefined {
    const s = this.current;
    return s !== undefined && !s.isClosed && !s.draining ? s : undefined;
  }

  private adopt(session: Session): void {
    this.current = session;
    session.onPush((topic, value) => {
      for (const listener of this.pushListeners) {
        try {
          listener(topic, value);
        } catch {
          // One listener's bug must not stop the others.
        }
      }
    });
    session.ready.then(
      () => {
        this.attempt = 0;
        try {
          this.options.onConnect?.(session);
        } catch {
          // The hook is the user's; the connection is fine.
        }
        for (const waiter of [...this.waiters]) this.settleWaiter(waiter, session);
      },
      () => {},
    );
    void session.closed.then(() => {
      if (this.current === session) this.scheduleReconnect();
    });
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer !== undefined) return;
    if (this.attempt >= this.maxAttempts) {
      this.finish(unavailable(`gave up reconnecting after ${this.attempt} attempts`));
      return;
    }
    const base = Math.min(this.maxDelay, this.initialDelay * this.factor ** this.attempt);
    // Jitter between half and all of the delay spreads a reconnect storm.
    const delay = base / 2 + Math.random() * (base / 2);
    this.attempt++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.stopped) return;
      this.open().then(
        (session) => {
          if (this.stopped) {
            session.close();
            return;
          }
          this.adopt(session);
        },
        (error: unknown) => {
          const err = error instanceof Error ? error : unavailable(String(error));
          this.options.onReconnectError?.(err, this.attempt, delay);
          this.scheduleReconnect();
        },
      );
    }, delay);
  }

  private settleWaiter(waiter: Waiter, session: Session): void {
    if (!this.waiters.delete(waiter)) return;
    if (waiter.timer !== undefined) clearTimeout(waiter.timer);
    waiter.resolve(session);
  }

  /** The live session, or the next one within `timeout` ms. */
  private session(timeout: number | undefined, signal: AbortSignal | undefined): Promise<Session> {
    const s = this.live();
    if (s !== undefined) return Promise.resolve(s);
    if (this.stopped) return Promise.reject(unavailable('session closed'));
    if (this.waiters.size >= this.maxWaiting) {
      return Promise.reject(
        new SwitchyardError('RESOURCE_EXHAUSTED', 'too many calls waiting for a connection'),
      );
    }
    if (signal?.aborted) return Promise.reject(new SwitchyardError('CANCELLED', 'call cancelled'));
    return new Promise<Session>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, timer: undefined };
      const ms = timeout ?? this.defaultTimeout;
      if (ms > 0 && ms !== Number.POSITIVE_INFINITY) {
        waiter.timer = setTimeout(() => {
          if (this.waiters.delete(waiter)) {
            reject(
              new SwitchyardError('DEADLINE_EXCEEDED', 'no connection within the call timeout'),
            );
          }
        }, ms);
      }
      signal?.addEventListener(
        'abort',
        () => {
          if (!this.waiters.delete(waiter)) return;
          if (waiter.timer !== undefined) clearTimeout(waiter.timer);
          reject(new SwitchyardError('CANCELLED', 'call cancelled'));
        },
        { once: true },
      );
      this.waiters.add(waiter);
    });
  }

  /** Time left of the call's own timeout after waiting for a connection. */
  private rest(options: CallOptions | undefined, startedAt: number): CallOptions | undefined {
    if (options?.timeout === undefined || options.timeout <= 0) return options;
    if (options.timeout === Number.POSITIVE_INFINITY) return options;
    const left = Math.max(1, options.timeout - (performance.now() - startedAt));
    return { ...options, timeout: left };
  }

  call<T = unknown>(method: string, input?: unknown, options?: CallOptions): Promise<T> {
    const s = this.live();
    if (s !== undefined) return s.call<T>(method, input, options);
    const startedAt = performance.now();
    return this.session(options?.timeout, options?.signal).then((session) =>
      session.call<T>(method, input, this.rest(options, startedAt)),
    );
  }

  notify(method: string, input?: unknown, options?: NotifyOptions): void {
    const s = this.live();
    if (s === undefined) throw unavailable('not connected: notify dropped');
    s.notify(method, input, options);
  }

  serverStream<T = unknown>(
    method: string,
    input?: unknown,
    options?: CallOptions,
  ): AsyncIterable<T> {
    const self = this;
    return {
      [Symbol.asyncIterator](): AsyncIterator<T> {
        let inner: AsyncIterator<T> | undefined;
        const startedAt = performance.now();
        return {
          async next(): Promise<IteratorResult<T>> {
            if (inner === undefined) {
              const session = await self.session(options?.timeout, options?.signal);
              inner = session
                .serverStream<T>(method, input, self.rest(options, startedAt))
                [Symbol.asyncIterator]();
            }
            return inner.next();
          },
          async return(): Promise<IteratorResult<T>> {
            await inner?.return?.();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }

  clientStream<T = unknown>(method: string, options?: CallOptions): ClientStreamCall<T> {
    const s = this.live();
    if (s === undefined) throw unavailable('not connected: client streams need a live connection');
    return s.clientStream<T>(method, options);
  }

  bidi<T = unknown>(method: string, options?: CallOptions): BidiCall<T> {
    const s = this.live();
    if (s === undefined) throw unavailable('not connected: bidi streams need a live connection');
    return s.bidi<T>(method, options);
  }

  push(topic: string, value: unknown): boolean {
    return this.live()?.push(topic, value) ?? false;
  }

  onPush(listener: PushListener): () => void {
    this.pushListeners.add(listener);
    return () => {
      this.pushListeners.delete(listener);
    };
  }

  ping(): Promise<number> {
    const s = this.live();
    return s === undefined ? Promise.reject(unavailable('not connected')) : s.ping();
  }

  async goaway(): Promise<void> {
    const current = this.current;
    this.finish(unavailable('session going away'), false);
    if (current !== undefined) await current.goaway();
  }

  close(error?: Error): void {
    const current = this.current;
    this.finish(error ?? unavailable('session closed'), false);
    current?.close(error);
  }

  private finish(error: Error, closeCurrent = true): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const waiter of this.waiters) {
      if (waiter.timer !== undefined) clearTimeout(waiter.timer);
      waiter.reject(error);
    }
    this.waiters.clear();
    const current = this.current;
    if (closeCurrent) current?.close(error);
    if (current === undefined || current.isClosed) this.resolveClosed();
    else void current.closed.then(() => this.resolveClosed());
  }
}
