import {
  type BidiCall,
  type CallOptions,
  type ClientStreamCall,
  type ConnectionInfo,
  type Session,
  SwitchyardError,
} from '@switchyard/stream';
import { clientRoute } from './client-route.js';
import { type ClusterInfo, parseClusterInfo } from './cluster-info.js';
import { CLUSTER_INFO_METHOD } from './cluster-info-service.js';
import {
  failureOf,
  firstTarget,
  isSafeToRepeat,
  type Route,
  retryTarget,
} from './forward-decision.js';
import { isValidAddress } from './node-info.js';
import { PeerLinks } from './peer-links.js';

export interface ClusterRouterOptions {
  /** Gateway addresses ("host:port") of any nodes: where the client first asks for `cluster.info`. */
  seeds: readonly string[];
  /** Which advertised gateway the client talks to: a stream gateway (default 'tcp'). */
  gateway?: string;
  /** Re-read the cluster info this often, ms (default 2 000). Failures refresh it sooner. */
  refreshInterval?: number;
  /** Extra attempts after a failure that is safe to repeat (default 5; backoff 50 ms doubling, ≤ 1 s). */
  maxRetries?: number;
  /** Default call timeout across all attempts, ms (default 10 000). */
  timeout?: number;
  /** Connect timeout per node, ms (default 1 000). */
  connectTimeout?: number;
  /** A node that failed is skipped for this long unless nothing else is left, ms (default 2 000). */
  suspectFor?: number;
}

export interface ClusterRouterStats {
  /** Calls and streams sent, attempts included. */
  attempts: number;
  /** Attempts after a failure. */
  retries: number;
  /** Successful `cluster.info` reads. */
  refreshes: number;
}

const INFO_TIMEOUT = 1000;

/**
 * The cluster-aware side of a client: a `Session` that routes each call
 * itself. It learns members, gateways, leaders and every method's routing
 * from any node (`cluster.info`), sends keyed calls to the owner by the same
 * rendezvous placement the nodes use and replicated-service calls to the
 * leader, so a call normally takes no forwarding hop. On failure it retries
 * only what is safe (a call that never left, a NOT_LEADER refusal — going to
 * the named leader — or an idempotent method), at most `maxRetries` times,
 * and refreshes its view. Give it to core's `createClient` for the typed
 * client (`createClusterClient` does both).
 */
export class ClusterRouter implements Session {
  readonly info: ConnectionInfo = { id: 'cluster-router', transport: 'cluster' };
  readonly ready: Promise<void>;
  readonly closed: Promise<void>;
  readonly stats: ClusterRouterStats = { attempts: 0, retries: 0, refreshes: 0 };
  private view: ClusterInfo | undefined;
  private readonly leaders: Record<string, string | null> = {};
  private readonly suspects = new Map<string, number>();
  private readonly links: PeerLinks;
  private readonly gateway: string;
  private readonly maxRetries: number;
  private readonly timeout: number;
  private readonly suspectFor: number;
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private calls = 0;
  private rotation = 0;
  private isShut = false;
  private resolveClosed!: () => void;

  constructor(private readonly options: ClusterRouterOptions) {
    if (!Array.isArray(options?.seeds) || options.seeds.length === 0) {
      throw new TypeError('ClusterRouter: seeds must be a non-empty array of "host:port"');
    }
    for (const s of options.seeds) {
      if (!isValidAddress(s)) throw new TypeError(`ClusterRouter: bad seed ${JSON.stringify(s)}`);
    }
    this.gateway = options.gateway ?? 'tcp';
    this.maxRetries = options.maxRetries ?? 5;
    this.timeout = options.timeout ?? 10_000;
    this.suspectFor = options.suspectFor ?? 2000;
    this.links = new PeerLinks({
      handler: () => {
        throw new SwitchyardError('UNIMPLEMENTED', 'a cluster client serves no calls');
      },
      connectTimeout: options.connectTimeout ?? 1000,
      window: 1024,
      keepalive: { interval: 1000, timeout: 3000 },
    });
    this.closed = new Promise((resolve) => {
      this.resolveClosed = resolve;
    });
    this.ready = this.refresh();
    this.ready.catch(() => {});
    this.timer = setInterval(() => {
      this.refresh().catch(() => {});
    }, options.refreshInterval ?? 2000);
    this.timer.unref?.();
  }

  /** The last cluster info read (undefined before the first answer). */
  get cluster(): ClusterInfo | undefined {
    return this.view;
  }

  /** The group leaders the router currently believes in (learned from info and NOT_LEADER hints). */
  leaderOf(group: string): string | null {
    return this.leaders[group] ?? null;
  }

  get inFlight(): number {
    return this.calls;
  }

  get draining(): boolean {
    return this.isShut;
  }

  get isClosed(): boolean {
    return this.isShut;
  }

  get rtt(): number | undefined {
    return undefined;
  }

  /**
   * Reads `cluster.info` from the first node that answers: known live members
   * first, then the seeds. Concurrent callers share one read. Rejects with
   * UNAVAILABLE when no node answers.
   */
  refresh(): Promise<void> {
    if (this.isShut) return Promise.reject(new SwitchyardError('UNAVAILABLE', 'router closed'));
    this.refreshing ??= this.readInfo().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  async call<T = unknown>(method: string, input?: unknown, options?: CallOptions): Promise<T> {
    const deadline = this.deadlineOf(options);
    this.calls++;
    try {
      return (await this.withRetries(method, input, options, deadline, (session) =>
        session.call<T>(method, input, this.attemptOptions(options, deadline)),
      )) as T;
    } finally {
      this.calls--;
    }
  }

  notify(method: string, input?: unknown): void {
    void this.open(method, input, undefined, this.deadlineOf(undefined)).then(
      (s) => s.notify(method, input),
      () => {},
    );
  }

  /** Routed once; retried only while opening (connecting), never after the call left. */
  serverStream<T = unknown>(
    method: string,
    input?: unknown,
    options?: CallOptions,
  ): AsyncIterable<T> {
    const deadline = this.deadlineOf(options);
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const session = await self.open(method, input, options?.metadata, deadline);
        yield* session.serverStream<T>(method, input, self.attemptOptions(options, deadline));
      },
    };
  }

  clientStream<T = unknown>(method: string, options?: CallOptions): ClientStreamCall<T> {
    const deadline = this.deadlineOf(options);
    const opened = this.open(method, undefined, options?.metadata, deadline).then((s) =>
      s.clientStream<T>(method, this.attemptOptions(options, deadline)),
    );
    return { ...inputSide(opened), result: opened.then((c) => c.result) };
  }

  /** Keyed by metadata (there is no input yet) or by leader; routed once, when opened. */
  bidi<T = unknown>(method: string, options?: CallOptions): BidiCall<T> {
    const deadline = this.deadlineOf(options);
    const opened = this.open(method, undefined, options?.metadata, deadline).then((s) =>
      s.bidi<T>(method, this.attemptOptions(options, deadline)),
    );
    return {
      ...inputSide(opened),
      [Symbol.asyncIterator]: () =>
        (async function* () {
          yield* await opened;
        })(),
    };
  }

  push(): boolean {
    return false;
  }

  onPush(): () => void {
    // Pushes belong to one connection; subscribe through a plain session to one node.
    return () => {};
  }

  async ping(): Promise<number> {
    const t0 = performance.now();
    await this.refresh();
    return performance.now() - t0;
  }

  async goaway(): Promise<void> {
    this.close();
  }

  close(): void {
    if (this.isShut) return;
    this.isShut = true;
    if (this.timer) clearInterval(this.timer);
    void this.links.close().finally(() => this.resolveClosed());
  }

  // ------------------------------------------------------------ internals

  private deadlineOf(options: CallOptions | undefined): number {
    const t = options?.timeout ?? this.timeout;
    return t === 0 || t === Number.POSITIVE_INFINITY
      ? Number.POSITIVE_INFINITY
      : performance.now() + t;
  }

  /** One attempt gets what is left of the call's deadline. */
  private attemptOptions(options: CallOptions | undefined, deadline: number): CallOptions {
    const left = deadline - performance.now();
    return {
      ...options,
      timeout: Number.isFinite(left) ? Math.max(1, Math.ceil(left)) : 0,
    };
  }

  private route(method: string, input: unknown, metadata: CallOptions['metadata']): Route {
    const routing = this.view?.methods[method];
    return clientRoute(routing, input, metadata, this.leaders);
  }

  /** Live members not recently failed; all live ones if every one failed recently. */
  private usable(): string[] {
    const live = this.view?.live ?? [];
    const now = performance.now();
    const fresh = live.filter((id) => !((this.suspects.get(id) ?? 0) > now));
    return fresh.length > 0 ? fresh : [...live];
  }

  /** The node a call goes to first: the owner or leader, else any usable member. */
  private pick(route: Route, tried: ReadonlySet<string>): string | undefined {
    const usable = this.usable();
    const first = firstTarget(route, usable, false);
    if (first !== undefined && !tried.has(first) && usable.includes(first)) return first;
    // No owner or leader known (or it failed), or no placement: any member
    // runs or forwards it correctly. Rotate so unplaced calls spread out.
    const untried = usable.filter((id) => !tried.has(id));
    const from = untried.length > 0 ? untried : usable;
    return from[this.rotation++ % Math.max(1, from.length)];
  }

  private addressOf(nodeId: string | undefined): string | undefined {
    if (nodeId === undefined) return undefined;
    return this.view?.members.find((m) => m.id === nodeId)?.gateways[this.gateway];
  }

  private async sessionTo(nodeId: string | undefined): Promise<Session> {
    const address = this.addressOf(nodeId) ?? this.options.seeds[0];
    if (address === undefined) throw new SwitchyardError('UNAVAILABLE', 'no node address known');
    try {
      return await this.links.get(address);
    } catch (error) {
      // Never sent: any method may go elsewhere.
      throw error instanceof SwitchyardError
        ? error
        : new SwitchyardError('UNAVAILABLE', `cannot connect to ${address}`, { cause: error });
    }
  }

  /** Runs one call with the retry policy; `attempt` sends it over one node's session. */
  private async withRetries(
    method: string,
    input: unknown,
    options: CallOptions | undefined,
    deadline: number,
    attempt: (session: Session) => Promise<unknown>,
  ): Promise<unknown> {
    if (this.isShut) throw new SwitchyardError('UNAVAILABLE', 'router closed');
    if (this.view === undefined) await this.ready.catch(() => this.refresh());
    const tried = new Set<string>();
    const idempotent = options?.idempotent ?? this.view?.methods[method]?.idempotent ?? false;
    let target = this.pick(this.route(method, input, options?.metadata), tried);
    for (let n = 0; ; n++) {
      if (target !== undefined) tried.add(target);
      this.stats.attempts++;
      try {
        return await attempt(await this.sessionTo(target));
      } catch (error) {
        const failure = failureOf(error);
        this.learn(failure, method, target);
        const finished = performance.now() >= deadline || options?.signal?.aborted === true;
        if (this.isShut || finished || n >= this.maxRetries || !isSafeToRepeat(failure, idempotent))
          throw error;
        this.stats.retries++;
        const route = this.route(method, input, options?.metadata);
        let next = retryTarget(failure, {
          attempt: n,
          maxRetries: this.maxRetries,
          idempotent,
          tried,
          live: this.usable(),
          route,
          finished,
        });
        if (next === undefined) {
          // Nowhere obvious left: wait a little (an election, a restart), re-read, start over.
          await sleep(Math.min(50 * 2 ** n, 1000, Math.max(0, deadline - performance.now())));
          await this.refresh().catch(() => {});
          tried.clear();
          next = this.pick(this.route(method, input, options?.metadata), tried);
        }
        target = next;
      }
    }
  }

  /** Opens a stream-call's session: retried only while connecting fails (nothing was sent). */
  private async open(
    method: string,
    input: unknown,
    metadata: CallOptions['metadata'],
    deadline: number,
  ): Promise<Session> {
    return (await this.withRetries(
      method,
      input,
      metadata ? { metadata } : undefined,
      deadline,
      async (session) => session,
    )) as Session;
  }

  /** What a failure teaches: a new leader from a hint, a failed node to skip for a while. */
  private learn(failure: ReturnType<typeof failureOf>, method: string, target: string | undefined) {
    const group = this.view?.methods[method]?.group;
    if (failure.code === 'NOT_LEADER' && group !== undefined) {
      this.leaders[group] = failure.leaderHint ?? null;
    }
    if (failure.code === 'UNAVAILABLE' && target !== undefined) {
      const now = performance.now();
      // Expired entries go here, so nodes that left long ago do not pile up.
      for (const [id, until] of this.suspects) if (until <= now) this.suspects.delete(id);
      this.suspects.set(target, now + this.suspectFor);
      if (group !== undefined && this.leaders[group] === target) this.leaders[group] = null;
      this.refresh().catch(() => {});
    }
  }

  private async readInfo(): Promise<void> {
    const candidates: string[] = [];
    for (const m of this.view?.members ?? []) {
      const a = m.gateways[this.gateway];
      if (a !== undefined && m.status === 'alive' && !candidates.includes(a)) candidates.push(a);
    }
    for (const s of this.options.seeds) if (!candidates.includes(s)) candidates.push(s);
    let lastError: unknown;
    for (const address of candidates) {
      try {
        const session = await this.links.get(address);
        const raw = await session.call(CLUSTER_INFO_METHOD, undefined, { timeout: INFO_TIMEOUT });
        const info = parseClusterInfo(raw);
        if (info === undefined)
          throw new SwitchyardError('INTERNAL', `bad cluster.info from ${address}`);
        this.apply(info);
        this.stats.refreshes++;
        return;
      } catch (error) {
        lastError = error;
      }
    }
    throw new SwitchyardError('UNAVAILABLE', 'no node answered cluster.info', { cause: lastError });
  }

  private apply(info: ClusterInfo): void {
    const previous = this.view;
    this.view = info;
    for (const [group, leader] of Object.entries(info.leaders)) {
      // A node that does not know the leader yet does not erase what a hint taught us.
      if (leader !== null || this.leaders[group] === undefined) this.leaders[group] = leader;
    }
    // Connections to members that are gone are dropped.
    for (const m of previous?.members ?? []) {
      const a = m.gateways[this.gateway];
      const now = info.members.find((x) => x.id === m.id);
      if (a !== undefined && (now === undefined || now.status === 'dead' || now.status === 'left'))
        this.links.drop(a);
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The sending half of a streamed call whose route is still being chosen:
 * sends wait for the call to open, and a failure to open reaches the caller
 * through `send` and the result, never as an unhandled rejection.
 */
function inputSide(opened: Promise<{ send(value: unknown): Promise<void>; end(): void }>): {
  send(value: unknown): Promise<void>;
  end(): void;
} {
  opened.catch(() => {});
  return {
    send: (value) => opened.then((c) => c.send(value)),
    end: () =>
      void opened.then(
        (c) => c.end(),
        () => {},
      ),
  };
}
