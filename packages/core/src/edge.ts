import { SwitchyardError } from '@switchyard/stream';
import { Call, type CallOwner } from './call.js';
import { coarseNow } from './clock.js';
import type { Cluster } from './cluster.js';
import { type Connection, EMPTY_METADATA } from './connection.js';
import { type Descriptor, describe } from './describe.js';
import type { DispatchRequest, Gateway, GatewayHost } from './gateway.js';
import { consoleLogger, type Logger } from './logger.js';
import type { MethodEntry } from './method-entry.js';
import type { MethodRuntime } from './method-runtime.js';
import { isReentrant, type Middleware } from './middleware.js';
import { isRpcSelector } from './selectors.js';
import type { ServiceDef } from './service.js';
import { TimerWheel } from './timer-wheel.js';

export interface EdgeOptions {
  services: readonly ServiceDef[];
  gateways?: readonly Gateway[];
  cluster?: Cluster;
  /** Runs for every call, before service and method middleware. */
  middleware?: readonly Middleware[];
  /** Default: errors and warnings to stderr. Use `silentLogger` in tests. */
  logger?: Logger;
  /** Timeout for unary and client-stream methods without their own, ms (default 30 000). Streams out have none unless set. */
  defaultTimeout?: number;
  limits?: {
    /** Largest encoded input a gateway may pass on, bytes (default 4 MiB). */
    maxInputBytes?: number;
  };
  onConnect?: (connection: Connection) => void;
  onDisconnect?: (connection: Connection, error?: Error) => void;
}

export type EdgeState = 'idle' | 'starting' | 'running' | 'draining' | 'stopped';

export interface Edge {
  readonly state: EdgeState;
  readonly methods: readonly MethodEntry[];
  /** Calls running right now (streams count until they end). */
  readonly inFlight: number;
  /** Connections the gateways reported open. */
  readonly connections: number;
  start(): Promise<void>;
  /**
   * Stops accepting, lets in-flight calls finish for most of `timeout` ms, aborts
   * the rest (UNAVAILABLE), stops the gateways, then leaves the cluster. Resolves
   * within about `timeout` ms even if a gateway misbehaves (default 10 000).
   */
  shutdown(options?: { timeout?: number }): Promise<void>;
  /** The protocol-independent entry, as gateways use it. */
  dispatch(request: DispatchRequest): Promise<unknown>;
  /** `dispatch` without a promise for calls that complete synchronously (see GatewayHost). */
  dispatchNow(request: DispatchRequest): unknown;
  lookup(method: number | string): MethodEntry | undefined;
  /** Delivers to every gateway's subscribers and, through the cluster, to other nodes. */
  publish(topic: string, value: unknown): void;
  describe(): Descriptor;
}

const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_MAX_INPUT = 4 * 1024 * 1024;
const MAX_TIMER = 2 ** 31 - 1;

function rejectWith(code: SwitchyardError['code'], message: string): Promise<never> {
  return Promise.reject(new SwitchyardError(code, message));
}

export function createEdge(options: EdgeOptions): Edge {
  return new EdgeServer(options);
}

class EdgeServer implements Edge, CallOwner, GatewayHost {
  state: EdgeState = 'idle';
  readonly methods: readonly MethodEntry[];
  readonly logger: Logger;
  readonly wheel = new TimerWheel();
  readonly limits: { readonly maxInputBytes: number };
  connections = 0;
  inFlight = 0;
  private readonly runtimes: MethodRuntime[] = [];
  private readonly byName = new Map<string, MethodEntry>();
  private readonly gateways: readonly Gateway[];
  private readonly cluster: Cluster | undefined;
  private readonly services: readonly ServiceDef[];
  private flightHead: Call | null = null;
  private idleWaiters: (() => void)[] = [];
  private shutdownPromise: Promise<void> | undefined;

  constructor(private readonly options: EdgeOptions) {
    if (typeof options !== 'object' || options === null || !Array.isArray(options.services)) {
      throw new TypeError(
        'createEdge(): options.services must be an array of service() definitions',
      );
    }
    this.services = options.services;
    this.logger = options.logger ?? consoleLogger('warn');
    this.gateways = options.gateways ?? [];
    this.cluster = options.cluster;
    const defaultTimeout = options.defaultTimeout ?? DEFAULT_TIMEOUT;
    if (!(defaultTimeout > 0)) throw new TypeError('createEdge(): defaultTimeout must be > 0 ms');
    const maxInputBytes = options.limits?.maxInputBytes ?? DEFAULT_MAX_INPUT;
    if (!(maxInputBytes > 0)) throw new TypeError('createEdge(): limits.maxInputBytes must be > 0');
    this.limits = Object.freeze({ maxInputBytes });

    const gatewayNames = new Set<string>();
    for (const gw of this.gateways) {
      if (gatewayNames.has(gw.name))
        throw new TypeError(`createEdge(): two gateways named '${gw.name}'`);
      gatewayNames.add(gw.name);
    }

    const entries: MethodEntry[] = [];
    const serviceNames = new Set<string>();
    for (const svc of this.services) {
      if (serviceNames.has(svc.name))
        throw new TypeError(`createEdge(): service '${svc.name}' given twice`);
      serviceNames.add(svc.name);
      for (const [key, def] of Object.entries(svc.methods)) {
        const name = `${svc.name}.${key}`;
        const rpcNames = [name];
        for (const s of def.selectors) {
          if (isRpcSelector(s) && !rpcNames.includes(s.name)) rpcNames.push(s.name);
        }
        const entry: MethodEntry = Object.freeze({
          id: entries.length,
          name,
          service: svc.name,
          method: key,
          kind: def.kind,
          selectors: def.selectors,
          rpcNames: Object.freeze(rpcNames),
          idempotent: def.idempotent,
          timeout: def.timeout,
          input: def.input,
          output: def.output,
          description: def.description,
        });
        for (const n of rpcNames) {
          const other = this.byName.get(n);
          if (other)
            throw new TypeError(`createEdge(): rpc name '${n}' used by ${other.name} and ${name}`);
          this.byName.set(n, entry);
        }
        const middleware = [...(options.middleware ?? []), ...svc.middleware, ...def.middleware];
        const streamsIn = def.kind === 'client-stream' || def.kind === 'bidi';
        const streamsOut = def.kind === 'server-stream' || def.kind === 'bidi';
        const timeout = def.timeout ?? (streamsOut ? Number.POSITIVE_INFINITY : defaultTimeout);
        this.runtimes.push({
          entry,
          handler: def.handler as MethodRuntime['handler'],
          input: def.input,
          output: def.output,
          timeout: Math.min(timeout, MAX_TIMER),
          middleware,
          reentrant: middleware.map(isReentrant),
          streamsIn,
          streamsOut,
        });
        entries.push(entry);
      }
    }
    this.methods = Object.freeze(entries);
    for (const gw of this.gateways) gw.register(this.methods);
  }

  get draining(): boolean {
    return this.state === 'draining' || this.state === 'stopped';
  }

  lookup(method: number | string): MethodEntry | undefined {
    if (typeof method === 'number') return this.runtimes[method]?.entry;
    return this.byName.get(method);
  }

  describe(): Descriptor {
    return describe(this.services);
  }

  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`edge.start(): already ${this.state}`);
    this.state = 'starting';
    const started: Gateway[] = [];
    try {
      for (const gw of this.gateways) {
        await gw.start(this);
        started.push(gw);
      }
      if (this.cluster) {
        await this.cluster.start({
          dispatch: (request) => this.dispatch(request),
          methods: this.methods,
          logger: this.logger,
          deliver: (topic, value) => this.deliver(topic, value),
        });
      }
    } catch (error) {
      // Leave nothing listening behind a failed start.
      await Promise.allSettled(started.map((gw) => gw.stop({ timeout: 1000 })));
      this.state = 'stopped';
      throw error;
    }
    this.state = 'running';
  }

  dispatch(request: DispatchRequest): Promise<unknown> {
    const result = this.dispatchNow(request);
    // Every asynchronous path of dispatchNow yields a native promise.
    return result instanceof Promise ? result : Promise.resolve(result);
  }

  dispatchNow(request: DispatchRequest): unknown {
    const m = request.method;
    const entry =
      typeof m === 'object' ? (this.runtimes[m.id]?.entry === m ? m : undefined) : this.lookup(m);
    if (entry === undefined) {
      return rejectWith(
        'NOT_FOUND',
        `unknown method ${JSON.stringify(typeof m === 'object' ? m.name : m)}`,
      );
    }
    if (this.state === 'draining' || this.state === 'stopped') {
      return rejectWith('UNAVAILABLE', 'server is shutting down');
    }
    if (request.inputSize !== undefined && request.inputSize > this.limits.maxInputBytes) {
      return rejectWith(
        'PAYLOAD_TOO_LARGE',
        `input of ${request.inputSize} bytes exceeds the limit of ${this.limits.maxInputBytes}`,
      );
    }
    const signal = request.signal;
    if (signal?.aborted) return rejectWith('CANCELLED', `${entry.name} cancelled by the caller`);
    const rt = this.runtimes[entry.id]!;
    // The clock is read only when needed: a synchronous handler never needs it.
    let deadline = rt.timeout === Number.POSITIVE_INFINITY ? rt.timeout : Number.NaN;
    const asked = request.deadline;
    if (asked !== undefined && asked !== Number.POSITIVE_INFINITY) {
      const now = coarseNow();
      if (asked <= now)
        return rejectWith('DEADLINE_EXCEEDED', `deadline already passed for ${entry.name}`);
      deadline = Math.min(asked, now + rt.timeout);
    }
    const cluster = this.cluster;
    if (cluster?.locate !== undefined) {
      const metadata = request.metadata ?? EMPTY_METADATA;
      const node = cluster.locate(entry, request.input, metadata);
      if (node !== undefined && node !== cluster.nodeId) {
        return cluster
          .forward(node, {
            method: entry.name,
            input: request.input,
            ...(request.inputStream ? { inputStream: request.inputStream } : {}),
            metadata,
            deadline: Number.isNaN(deadline) ? coarseNow() + rt.timeout : deadline,
            ...(signal ? { signal } : {}),
          })
          .catch((error: unknown) => {
            throw error instanceof SwitchyardError
              ? error
              : new SwitchyardError('UNAVAILABLE', `forwarding ${entry.name} to ${node} failed`, {
                  cause: error,
                });
          });
      }
    }
    return new Call(rt, this, request, deadline).run();
  }

  track(call: Call): void {
    if (call.tracked) return;
    call.tracked = true;
    const head = this.flightHead;
    call.flightNext = head;
    call.flightPrev = null;
    if (head) head.flightPrev = call;
    this.flightHead = call;
    this.inFlight++;
    call.armWatchers(coarseNow());
  }

  untrack(call: Call): void {
    if (!call.tracked) return;
    call.tracked = false;
    const { flightPrev: prev, flightNext: next } = call;
    if (prev) prev.flightNext = next;
    else this.flightHead = next;
    if (next) next.flightPrev = prev;
    call.flightPrev = null;
    call.flightNext = null;
    call.disarmWatchers();
    if (--this.inFlight === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  connectionOpened(connection: Connection): void {
    this.connections++;
    this.options.onConnect?.(connection);
  }

  connectionClosed(connection: Connection, error?: Error): void {
    this.connections = Math.max(0, this.connections - 1);
    this.options.onDisconnect?.(connection, error);
  }

  publish(topic: string, value: unknown): void {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new SwitchyardError('INVALID_ARGUMENT', 'topic must be a non-empty string');
    }
    this.deliver(topic, value);
    this.cluster?.publish(topic, value);
  }

  /** Local delivery only: what a value published on another node gets. */
  private deliver(topic: string, value: unknown): void {
    for (const gw of this.gateways) {
      if (gw.publish === undefined) continue;
      try {
        gw.publish(topic, value);
      } catch (error) {
        this.logger.warn('gateway publish failed', { gateway: gw.name, topic, cause: error });
      }
    }
  }

  shutdown(options: { timeout?: number } = {}): Promise<void> {
    if (this.shutdownPromise === undefined)
      this.shutdownPromise = this.runShutdown(options.timeout ?? 10_000);
    return this.shutdownPromise;
  }

  private async runShutdown(timeout: number): Promise<void> {
    if (!(timeout >= 0)) throw new TypeError('edge.shutdown(): timeout must be >= 0 ms');
    const started = this.state !== 'idle';
    this.state = 'draining';
    const t0 = performance.now();
    const left = (): number => Math.max(0, timeout - (performance.now() - t0));
    // Keep a slice of the budget for closing gateways and leaving the cluster.
    const drainBudget = timeout - Math.min(timeout * 0.2, 1000);
    if (started) {
      await Promise.allSettled(
        this.gateways.map((gw) =>
          withBudget(
            Promise.resolve().then(() => gw.drain?.()),
            left(),
          ),
        ),
      );
    }
    if (this.inFlight > 0) {
      await withBudget(
        new Promise<void>((resolve) => this.idleWaiters.push(resolve)),
        Math.max(0, drainBudget - (performance.now() - t0)),
      );
    }
    if (this.inFlight > 0) {
      this.logger.warn('shutdown timeout: aborting in-flight calls', { count: this.inFlight });
      const reason = new SwitchyardError(
        'UNAVAILABLE',
        'server shut down before the call finished',
      );
      let call = this.flightHead;
      while (call) {
        const next = call.flightNext;
        call.abort(reason);
        call = next;
      }
    }
    if (started) {
      const results = await Promise.allSettled(
        this.gateways.map((gw) => withBudget(gw.stop({ timeout: left() }), left() + 50)),
      );
      for (const [i, r] of results.entries()) {
        if (r.status === 'rejected') {
          this.logger.warn('gateway stop failed', {
            gateway: this.gateways[i]?.name,
            cause: r.reason,
          });
        }
      }
      if (this.cluster) {
        await withBudget(this.cluster.leave({ timeout: left() }), left() + 50).catch(
          (error: unknown) => this.logger.warn('cluster leave failed', { cause: error }),
        );
      }
    }
    this.wheel.dispose();
    this.state = 'stopped';
  }
}

/** Waits for `work` at most `ms`; never rejects on timeout (shutdown goes on). */
function withBudget(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
