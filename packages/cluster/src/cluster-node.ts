import { defaultCodec } from '@switchyard/codec';
import type {
  Cluster,
  ClusterHost,
  ClusterMember,
  Connection,
  ForwardRequest,
  Metadata,
  MethodEntry,
} from '@switchyard/core';
import { LinkedCallSignal } from '@switchyard/core';
import {
  createGossip,
  type Gossip,
  type Keyring,
  type ProfileName,
  type ProtocolConfig,
} from '@switchyard/gossip';
import {
  type BidiCall,
  type CallOptions,
  type IncomingCall,
  type Session,
  SwitchyardError,
} from '@switchyard/stream';
import { listen, type TcpListener } from '@switchyard/tcp';
import { formatHostPort } from './address.js';
import type { ClusterInfo, ClusterStats, MethodRouting } from './cluster-info.js';
import { failureOf, firstTarget, type Route, retryTarget } from './forward-decision.js';
import { encodeNodeInfo, GossipView } from './gossip-view.js';
import { runsLocally } from './local-selector.js';
import { MemberTable } from './member-table.js';
import { isValidAddress, isValidId, type NodeInfo, parseNodeInfo } from './node-info.js';
import { PeerLinks } from './peer-links.js';
import { type PlacementSelector, placementKey, placementOf } from './placement.js';
import type { ReplicatedGroup } from './replicated-group.js';

/** Metadata key marking a forwarded call: the receiving node runs it, whatever its view. */
export const FORWARDED_BY = 'sy-forwarded-by';

/** Control methods on the inter-node connection; user services may not use this prefix. */
const CONTROL = '_cluster';
const SYNC = '_cluster.sync';
const LEAVE = '_cluster.leave';
const PUBLISH = '_cluster.publish';

export interface ClusterOptions {
  /** This node's id: unique in the cluster, and the Raft id of its replicas. */
  nodeId: string;
  /** Where the inter-node stream listener binds (default 127.0.0.1, port 0: any free port). */
  listen?: { host?: string; port?: number };
  /** "host:port" others reach the inter-node listener at (default: the bound address). */
  advertise?: string;
  /** Inter-node addresses ("host:port") of nodes to join through. */
  seeds?: readonly string[];
  /**
   * Gateway name → public address, advertised to members and cluster-aware
   * clients. A function is read at start, after the gateways bound their ports.
   */
  gateways?: Readonly<Record<string, string>> | (() => Readonly<Record<string, string>>);
  /** Raft groups and the services they back. The cluster closes them on leave. */
  groups?: readonly ReplicatedGroup[];
  /** Membership sync with every peer, ms (default 250). */
  syncInterval?: number;
  /** No direct contact for this long: suspect (default 1 000 ms). */
  suspectAfter?: number;
  /** No direct contact for this long: dead, no longer placed on (default 2 000 ms). */
  deadAfter?: number;
  /** Forget dead/left members after this long (default 30 000 ms). */
  forgetAfter?: number;
  /** Largest membership (default 1 024). */
  maxMembers?: number;
  /** Inter-node connect timeout, ms (default 1 000). */
  connectTimeout?: number;
  /** Forwarded calls in flight per peer connection (default 1 024). */
  window?: number;
  /** Extra attempts on another node for a forwarded call that failed UNAVAILABLE or NOT_LEADER (default 2). */
  maxRetries?: number;
  /** Restart counter; default the start time, which only grows. */
  incarnation?: number;
  /**
   * Membership and failure detection by SWIM + Lifeguard (@switchyard/gossip)
   * over UDP/TCP instead of the built-in all-to-all sync; NodeInfo travels as
   * gossip metadata. Scales to large clusters; `seeds` are then gossip addresses.
   */
  gossip?: {
    /** "host:port" for gossip's UDP+TCP (default 127.0.0.1:0). */
    bind?: string;
    advertise?: string;
    seeds?: readonly string[];
    profile?: ProfileName;
    config?: Partial<ProtocolConfig>;
    keyring?: Keyring;
    label?: string;
  };
}

export interface ClusterNode extends Cluster {
  /**
   * What a cluster-aware client needs to route by itself: members with their
   * gateways, the live set, group leaders and every method's routing. Serve
   * it with `clusterInfoService(cluster)`.
   */
  info(): ClusterInfo;
  /** Forwarding counters since start. */
  stats(): ClusterStats;
  /** The inter-node address, once started. */
  readonly address: string;
  /** The gossip address (gossip mode, once started), for other nodes' `gossip.seeds`. */
  readonly gossipAddress: string | undefined;
  /** Leader of each replicated group (null while electing). */
  leaders(): Record<string, string | null>;
  /** Members as the gateways see them, with their advertised addresses. */
  topology(): ClusterTopology;
  /**
   * The first half of a graceful shutdown, before the edge drains: hand Raft
   * leadership over and tell the others to stop routing here.
   */
  handoff(options?: { timeout?: number }): Promise<void>;
}

export interface ClusterTopology {
  readonly self: string;
  readonly members: readonly {
    readonly id: string;
    readonly status: ClusterMember['status'];
    readonly gateways: Readonly<Record<string, string>>;
  }[];
  readonly leaders: Readonly<Record<string, string | null>>;
}

export function createCluster(options: ClusterOptions): ClusterNode {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('createCluster(): expected an options object');
  }
  if (!isValidId(options.nodeId)) {
    throw new TypeError(
      `createCluster(): nodeId must be 1-128 chars of A-Z a-z 0-9 . _ -, got ${JSON.stringify(options.nodeId)}`,
    );
  }
  for (const s of options.seeds ?? []) {
    if (!isValidAddress(s)) throw new TypeError(`createCluster(): bad seed ${JSON.stringify(s)}`);
  }
  if (options.advertise !== undefined && !isValidAddress(options.advertise)) {
    throw new TypeError(
      `createCluster(): bad advertise address ${JSON.stringify(options.advertise)}`,
    );
  }
  for (const [name, v] of [
    ['syncInterval', options.syncInterval],
    ['suspectAfter', options.suspectAfter],
    ['deadAfter', options.deadAfter],
    ['connectTimeout', options.connectTimeout],
  ] as const) {
    if (v !== undefined && !(typeof v === 'number' && v > 0)) {
      throw new TypeError(`createCluster(): ${name} must be a positive number of ms`);
    }
  }
  const groupNames = new Set<string>();
  for (const g of options.groups ?? []) {
    if (!isValidId(g.name) || groupNames.has(g.name)) {
      throw new TypeError(
        `createCluster(): group names must be unique ids, got ${JSON.stringify(g.name)}`,
      );
    }
    groupNames.add(g.name);
  }
  return new ClusterNodeImpl(options);
}

class ClusterNodeImpl implements ClusterNode {
  readonly nodeId: string;
  private host: ClusterHost | undefined;
  private listener: TcpListener | undefined;
  /** Sync mode's own table; undefined in gossip mode. */
  private table: MemberTable | undefined;
  /** Whichever view answers membership questions. */
  private view: MemberTable | GossipView | undefined;
  private gossip: Gossip | undefined;
  private links: PeerLinks | undefined;
  private timer: NodeJS.Timeout | undefined;
  private liveIds: string[] = [];
  private state: 'idle' | 'running' | 'leaving' | 'stopped' = 'idle';
  private readonly byName = new Map<string, MethodEntry>();
  private readonly placements = new Map<MethodEntry, PlacementSelector | null>();
  private readonly groupOfService = new Map<string, ReplicatedGroup>();
  private readonly listeners = new Set<(members: readonly ClusterMember[]) => void>();
  private readonly syncing = new Set<string>();
  private readonly connections = new WeakMap<Session, Connection>();
  private readonly syncInterval: number;
  private readonly maxRetries: number;
  private selfInfo: NodeInfo | undefined;
  private readonly counters: ClusterStats = { forwardedOut: 0, forwardedIn: 0 };

  constructor(private readonly options: ClusterOptions) {
    this.nodeId = options.nodeId;
    this.syncInterval = options.syncInterval ?? 250;
    this.maxRetries = options.maxRetries ?? 2;
    for (const g of options.groups ?? []) {
      for (const s of g.services) this.groupOfService.set(s, g);
    }
  }

  get address(): string {
    if (this.selfInfo === undefined) throw new Error('cluster: not started');
    return this.selfInfo.stream;
  }

  get gossipAddress(): string | undefined {
    return this.gossip?.address;
  }

  async start(host: ClusterHost): Promise<void> {
    if (this.state !== 'idle') throw new Error(`cluster.start(): already ${this.state}`);
    for (const m of host.methods) {
      if (m.service === CONTROL) {
        throw new TypeError(
          `cluster: service name '${CONTROL}' is reserved for inter-node control`,
        );
      }
      for (const n of m.rpcNames) this.byName.set(n, m);
    }
    this.host = host;
    const handler = (call: IncomingCall): unknown => this.serve(call);
    const window = this.options.window ?? 1024;
    const keepalive = { interval: 1000, timeout: 3000 };
    const bindHost = this.options.listen?.host ?? '127.0.0.1';
    this.listener = await listen(
      { host: bindHost, port: this.options.listen?.port ?? 0 },
      {
        serve: { handler, codec: defaultCodec, codecs: [defaultCodec], window, keepalive },
        idleTimeout: 0,
      },
    );
    let advertise = this.options.advertise;
    if (advertise === undefined) {
      if (bindHost === '0.0.0.0' || bindHost === '::') {
        await this.listener.close();
        throw new TypeError('createCluster(): listening on all interfaces needs `advertise`');
      }
      advertise = formatHostPort(bindHost, this.listener.address.port ?? 0);
    }
    this.selfInfo = Object.freeze({
      id: this.nodeId,
      stream: advertise,
      gateways: Object.freeze({
        ...(typeof this.options.gateways === 'function'
          ? this.options.gateways()
          : (this.options.gateways ?? {})),
      }),
      groups: Object.freeze((this.options.groups ?? []).map((g) => g.name)),
      incarnation: this.options.incarnation ?? Date.now(),
    });
    const g = this.options.gossip;
    if (g !== undefined) {
      try {
        this.gossip = await createGossip({
          name: this.nodeId,
          bind: g.bind ?? '127.0.0.1:0',
          meta: encodeNodeInfo(this.selfInfo),
          profile: g.profile ?? 'local',
          ...(g.advertise !== undefined ? { advertise: g.advertise } : {}),
          ...(g.seeds !== undefined ? { seeds: g.seeds } : {}),
          ...(g.config !== undefined ? { config: g.config } : {}),
          ...(g.keyring !== undefined ? { keyring: g.keyring } : {}),
          ...(g.label !== undefined ? { label: g.label } : {}),
        });
      } catch (error) {
        await this.listener.close();
        throw error;
      }
      this.view = new GossipView(this.selfInfo, this.gossip);
      this.gossip.on('*', (e) => {
        if (e.type !== 'message') this.refresh(false);
      });
    } else {
      this.table = new MemberTable(this.selfInfo, {
        suspectAfter: this.options.suspectAfter ?? 1000,
        deadAfter: this.options.deadAfter ?? 2000,
        forgetAfter: this.options.forgetAfter ?? 30_000,
        maxMembers: this.options.maxMembers ?? 1024,
      });
      this.view = this.table;
    }
    this.links = new PeerLinks({
      handler,
      connectTimeout: this.options.connectTimeout ?? 1000,
      window,
      keepalive,
    });
    this.liveIds = this.view.live();
    this.state = 'running';
    if (this.table !== undefined) {
      this.timer = setInterval(() => this.round(), this.syncInterval);
      this.timer.unref?.();
      // One round now so seeds learn about us without waiting an interval.
      this.round();
    }
  }

  members(): readonly ClusterMember[] {
    return this.view?.members() ?? [];
  }

  onMembershipChange(listener: (members: readonly ClusterMember[]) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  leaders(): Record<string, string | null> {
    const out: Record<string, string | null> = {};
    for (const g of this.options.groups ?? []) out[g.name] = g.node.leader;
    return out;
  }

  topology(): ClusterTopology {
    const members = (this.view?.members() ?? []).map((m) => {
      const info = this.view?.info(m.id);
      return { id: m.id, status: m.status, gateways: info?.gateways ?? {} };
    });
    return { self: this.nodeId, members, leaders: this.leaders() };
  }

  locate(entry: MethodEntry, input: unknown, metadata: Metadata): string | undefined {
    return firstTarget(
      this.routeOf(entry, input, metadata),
      this.liveIds,
      metadata[FORWARDED_BY] !== undefined,
    );
  }

  /**
   * Runs a call on another node. Unary calls resolve to the result and
   * server-stream calls to the relayed stream; a request carrying an
   * `inputStream` (client-stream, bidi) is relayed with its input streamed
   * under the inter-node connection's flow control.
   */
  async forward(nodeId: string, request: ForwardRequest): Promise<unknown> {
    const entry = this.byName.get(request.method);
    if (entry === undefined) {
      throw new SwitchyardError('NOT_FOUND', `unknown method ${JSON.stringify(request.method)}`);
    }
    if (request.inputStream !== undefined) {
      // The input is consumed as it is relayed: once sent, a stream is never retried.
      const session = await this.connectForStream(nodeId, entry, request);
      if (session === undefined) return this.runHere(entry, request);
      return this.sendStreaming(session, entry, request, request.inputStream);
    }
    const tried = new Set<string>();
    let target: string | undefined = nodeId;
    for (let attempt = 0; ; attempt++) {
      if (target === undefined || target === this.nodeId) return this.runHere(entry, request);
      tried.add(target);
      try {
        return await this.send(target, entry, request);
      } catch (error) {
        target = this.retryTargetOrThrow(error, entry, request, attempt, tried);
      }
    }
  }

  info(): ClusterInfo {
    const methods: Record<string, MethodRouting> = {};
    for (const entry of this.host?.methods ?? []) {
      const group = this.groupOfService.get(entry.service);
      const sel = placementOf(entry);
      const routing: MethodRouting = {
        kind: entry.kind,
        idempotent: entry.idempotent,
        ...(group !== undefined && !runsLocally(entry) ? { group: group.name } : {}),
        ...(group === undefined && sel !== undefined
          ? { key: { from: sel.from, path: sel.path.join('.') } }
          : {}),
      };
      for (const name of entry.rpcNames) methods[name] = routing;
    }
    return { ...this.topology(), live: [...this.liveIds], methods };
  }

  stats(): ClusterStats {
    return { ...this.counters };
  }

  publish(topic: string, value: unknown): void {
    const table = this.view;
    const links = this.links;
    if (table === undefined || links === undefined || this.state === 'stopped') return;
    const body = { t: topic, v: value };
    for (const info of table.peers()) {
      if (table.status(info.id) === 'dead') continue;
      const s = links.peek(info.stream);
      if (s !== undefined) {
        s.notify(PUBLISH, body);
        continue;
      }
      links.get(info.stream).then(
        (session) => session.notify(PUBLISH, body),
        (error: unknown) =>
          this.host?.logger.debug('cluster publish: peer unreachable', {
            peer: info.id,
            cause: error,
          }),
      );
    }
  }

  async handoff(options: { timeout?: number } = {}): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'leaving';
    const timeout = options.timeout ?? 3000;
    // Others stop placing keys here first, then leadership moves.
    this.announceLeave();
    const gossiping = this.gossip?.leave(Math.min(timeout, 1000)).catch(() => {});
    this.liveIds = this.liveIds.filter((id) => id !== this.nodeId);
    await Promise.allSettled(
      (this.options.groups ?? [])
        .filter((g) => g.node.isLeader)
        .map((g) =>
          g.node.transferLeadership(undefined, { timeout }).catch((error: unknown) => {
            this.host?.logger.warn('cluster: leadership transfer failed', {
              group: g.name,
              cause: error,
            });
          }),
        ),
    );
    await gossiping;
  }

  async leave(options: { readonly timeout: number }): Promise<void> {
    if (this.state === 'stopped' || this.state === 'idle') {
      this.state = 'stopped';
      return;
    }
    const t0 = performance.now();
    if (this.state === 'running')
      await this.handoff({ timeout: Math.max(100, options.timeout / 2) });
    else this.announceLeave();
    this.state = 'stopped';
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const left = (): number => Math.max(50, options.timeout - (performance.now() - t0));
    await Promise.allSettled(
      (this.options.groups ?? []).map((g) => withTimeout(g.node.close(), left())),
    );
    await withTimeout(this.links?.close() ?? Promise.resolve(), left());
    await withTimeout(this.gossip?.close() ?? Promise.resolve(), left());
    const l = this.listener;
    if (l) {
      await withTimeout(l.close(), left());
      l.destroyConnections();
    }
  }

  // ------------------------------------------------------------ internals

  private announceLeave(): void {
    const table = this.view;
    const links = this.links;
    const self = this.selfInfo;
    if (table === undefined || links === undefined || self === undefined) return;
    for (const info of table.peers()) {
      links.peek(info.stream)?.notify(LEAVE, { id: self.id, incarnation: self.incarnation });
    }
  }

  /** Sends one forwarded call; server-stream calls resolve to the relayed stream. */
  private async send(
    target: string,
    entry: MethodEntry,
    request: ForwardRequest,
  ): Promise<unknown> {
    const info = this.view?.info(target);
    if (info === undefined || this.links === undefined) {
      throw new SwitchyardError('UNAVAILABLE', `node ${target} is not a known member`);
    }
    const remaining = request.deadline - performance.now();
    if (remaining <= 0)
      throw new SwitchyardError('DEADLINE_EXCEEDED', `deadline passed for ${entry.name}`);
    const session = await this.links.get(info.stream);
    const opts: CallOptions = {
      timeout: Number.isFinite(remaining) ? Math.max(1, Math.ceil(remaining)) : 0,
      metadata: { ...request.metadata, [FORWARDED_BY]: this.nodeId },
      idempotent: entry.idempotent,
    };
    if (request.signal) opts.signal = request.signal;
    this.counters.forwardedOut++;
    if (entry.kind === 'server-stream')
      return session.serverStream(entry.name, request.input, opts);
    return session.call(entry.name, request.input, opts);
  }

  /** Where a failed attempt goes next (forward-decision.ts decides); rethrows when nowhere. */
  private retryTargetOrThrow(
    error: unknown,
    entry: MethodEntry,
    request: ForwardRequest,
    attempt: number,
    tried: ReadonlySet<string>,
  ): string {
    if (!(error instanceof SwitchyardError) || this.state === 'stopped') throw error;
    const next = retryTarget(failureOf(error), {
      attempt,
      maxRetries: this.maxRetries,
      idempotent: entry.idempotent,
      tried,
      live: this.liveIds,
      route: this.routeOf(entry, request.input, request.metadata),
      finished: request.deadline <= performance.now() || request.signal?.aborted === true,
    });
    if (next === undefined) throw error;
    return next;
  }

  /**
   * The owner's session for a streamed-input call, or undefined to run it
   * here. A connect failure sent nothing, so it moves on to the next owner
   * like a unary call would.
   */
  private async connectForStream(
    nodeId: string,
    entry: MethodEntry,
    request: ForwardRequest,
  ): Promise<Session | undefined> {
    const tried = new Set<string>();
    let target: string | undefined = nodeId;
    for (let attempt = 0; ; attempt++) {
      if (target === undefined || target === this.nodeId) return undefined;
      tried.add(target);
      try {
        const info = this.view?.info(target);
        if (info === undefined || this.links === undefined) {
          throw new SwitchyardError('UNAVAILABLE', `node ${target} is not a known member`);
        }
        return await this.links.get(info.stream);
      } catch (error) {
        target = this.retryTargetOrThrow(error, entry, request, attempt, tried);
      }
    }
  }

  /**
   * Relays a client-stream or bidi call to `target` as one bidi call on the
   * inter-node connection (the owner's gateway adapts client-stream methods).
   * Flow control crosses the hop: the next input item is read only once the
   * owner granted credit for the previous one, so this node holds at most one
   * item per call and the caller's sends wait as the owner's would.
   * Cancellation goes both ways: the caller's signal (or a failed input)
   * cancels the owner's call; the owner's failure ends the input and reaches
   * the caller as the owner's error (UNAVAILABLE when it died).
   */
  private async sendStreaming(
    session: Session,
    entry: MethodEntry,
    request: ForwardRequest,
    input: AsyncIterable<unknown>,
  ): Promise<unknown> {
    const remaining = request.deadline - performance.now();
    if (remaining <= 0)
      throw new SwitchyardError('DEADLINE_EXCEEDED', `deadline passed for ${entry.name}`);
    const hop = new AbortController();
    const callerSignal = request.signal;
    const onCallerAbort = (): void => hop.abort();
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    if (callerSignal?.aborted) hop.abort();
    const release = (): void => callerSignal?.removeEventListener('abort', onCallerAbort);
    const call = session.bidi(entry.name, {
      timeout: Number.isFinite(remaining) ? Math.max(1, Math.ceil(remaining)) : 0,
      metadata: { ...request.metadata, [FORWARDED_BY]: this.nodeId },
      idempotent: entry.idempotent,
      signal: hop.signal,
    });
    this.counters.forwardedOut++;
    void pumpInput(input, call, hop);
    const replies = call[Symbol.asyncIterator]();
    if (entry.kind === 'client-stream') {
      try {
        const first = await replies.next();
        if (first.done)
          throw new SwitchyardError('INTERNAL', `${entry.name} ended without a result`);
        return first.value;
      } finally {
        release();
        hop.abort();
      }
    }
    return relayReplies(replies, hop, release);
  }

  /** Where a call belongs in this node's current view. */
  private routeOf(entry: MethodEntry, input: unknown, metadata: Metadata): Route {
    const group = this.groupOfService.get(entry.service);
    if (group !== undefined) {
      return runsLocally(entry) ? ANYWHERE : { kind: 'leader', leader: group.node.leader };
    }
    let sel = this.placements.get(entry);
    if (sel === undefined) {
      sel = placementOf(entry) ?? null;
      this.placements.set(entry, sel);
    }
    const key = sel === null ? undefined : placementKey(sel, input, metadata);
    return key === undefined ? ANYWHERE : { kind: 'keyed', key };
  }

  /** Runs a call on this node, marked so it is not located again. */
  private runHere(entry: MethodEntry, request: ForwardRequest): Promise<unknown> {
    const host = this.host;
    if (host === undefined)
      return Promise.reject(new SwitchyardError('UNAVAILABLE', 'cluster not started'));
    return host.dispatch({
      method: entry,
      input: request.input,
      ...(request.inputStream ? { inputStream: request.inputStream } : {}),
      metadata: { ...request.metadata, [FORWARDED_BY]: this.nodeId },
      connection: LOCAL_CONNECTION,
      deadline: request.deadline,
      ...(request.signal ? { signal: request.signal } : {}),
    });
  }

  /** Serves a call from another node: control messages or a forwarded call. */
  private serve(call: IncomingCall): unknown {
    switch (call.method) {
      case SYNC:
        return this.onSync(call.input);
      case LEAVE: {
        const b = call.input as { id?: unknown; incarnation?: unknown } | null;
        if (this.table && b && typeof b.id === 'string' && typeof b.incarnation === 'number') {
          this.table.left(b.id, b.incarnation, performance.now());
          this.refresh(true);
        }
        return null;
      }
      case PUBLISH: {
        const b = call.input as { t?: unknown; v?: unknown } | null;
        if (b && typeof b.t === 'string' && b.t.length > 0) this.host?.deliver(b.t, b.v);
        return null;
      }
      default:
        return this.onForwarded(call);
    }
  }

  private onForwarded(call: IncomingCall): Promise<unknown> {
    const host = this.host;
    if (host === undefined || this.state === 'stopped') {
      return Promise.reject(
        new SwitchyardError('UNAVAILABLE', `node ${this.nodeId} is not serving`),
      );
    }
    this.counters.forwardedIn++;
    const metadata =
      call.metadata[FORWARDED_BY] === undefined
        ? { ...call.metadata, [FORWARDED_BY]: 'peer' }
        : call.metadata;
    const result = host.dispatch({
      method: call.method,
      input: call.input,
      ...(call.inputStream ? { inputStream: call.inputStream } : {}),
      metadata,
      connection: this.connectionOf(call.session),
      deadline: call.deadline,
      // Not `call.signal`: reading it makes an AbortController per forwarded call.
      signal: new LinkedCallSignal(call).asAbortSignal(),
    });
    // Streamed input always travels as bidi: a client-stream result goes back as one item.
    if (call.kind === 'bidi' && this.byName.get(call.method)?.kind === 'client-stream') {
      return Promise.resolve(singleItem(result));
    }
    return result;
  }

  private connectionOf(session: Session): Connection {
    let c = this.connections.get(session);
    if (c === undefined) {
      const info = session.info;
      c = {
        id: `cluster:${info.id}`,
        gateway: 'cluster',
        transport: info.transport,
        ...(info.remoteAddress !== undefined ? { remoteAddress: info.remoteAddress } : {}),
        ...(info.remotePort !== undefined ? { remotePort: info.remotePort } : {}),
      };
      this.connections.set(session, c);
    }
    return c;
  }

  private onSync(input: unknown): unknown {
    const table = this.table;
    if (table === undefined) {
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `node ${this.nodeId} takes membership from gossip`,
      );
    }
    const b = input as { from?: unknown; members?: unknown } | null;
    const from = parseNodeInfo(b?.from);
    if (from === undefined || !Array.isArray(b?.members)) {
      throw new SwitchyardError('INVALID_ARGUMENT', 'malformed membership sync');
    }
    const now = performance.now();
    table.heard(from, now);
    this.absorb(b.members, now);
    return { from: table.self, members: table.relayable() };
  }

  private absorb(members: unknown[], now: number): void {
    const table = this.table;
    if (table === undefined) return;
    const max = this.options.maxMembers ?? 1024;
    for (const raw of members.slice(0, max)) {
      const m = parseNodeInfo(raw);
      if (m !== undefined) table.learned(m, now);
    }
    this.refresh(false);
  }

  /** One membership round: sync with every peer and seed, then age the table. */
  private round(): void {
    const table = this.table;
    const links = this.links;
    if (table === undefined || links === undefined || this.state === 'stopped') return;
    const targets = new Set<string>();
    for (const p of table.peers()) targets.add(p.stream);
    for (const s of this.options.seeds ?? []) if (s !== table.self.stream) targets.add(s);
    const body = { from: table.self, members: table.relayable() };
    for (const address of targets) {
      // One sync per peer at a time: a slow peer never piles up calls.
      if (this.syncing.has(address)) continue;
      this.syncing.add(address);
      links
        .get(address)
        .then((s) => s.call(SYNC, body, { timeout: Math.max(200, this.syncInterval * 2) }))
        .then(
          (reply) => {
            const r = reply as { from?: unknown; members?: unknown } | null;
            const from = parseNodeInfo(r?.from);
            if (from === undefined || !Array.isArray(r?.members)) return;
            const now = performance.now();
            table.heard(from, now);
            this.absorb(r.members, now);
          },
          () => {
            // Silence is the signal: the table ages the peer out.
          },
        )
        .finally(() => this.syncing.delete(address));
    }
    this.refresh(false);
  }

  private refresh(force: boolean): void {
    const table = this.view;
    if (table === undefined) return;
    const changed = table instanceof GossipView ? table.rebuild() : table.tick(performance.now());
    if (!changed && !force) return;
    const live = table.live();
    this.liveIds = this.state === 'running' ? live : live.filter((id) => id !== this.nodeId);
    const members = table.members();
    for (const l of this.listeners) {
      try {
        l(members);
      } catch (error) {
        this.host?.logger.warn('membership listener threw', { cause: error });
      }
    }
  }
}

const ANYWHERE: Route = Object.freeze({ kind: 'anywhere' });

async function* singleItem(result: Promise<unknown>): AsyncGenerator<unknown> {
  yield await result;
}

/** Feeds the caller's input to the owner, one item per granted credit. */
async function pumpInput(
  input: AsyncIterable<unknown>,
  call: BidiCall<unknown>,
  hop: AbortController,
): Promise<void> {
  const items = input[Symbol.asyncIterator]();
  let inputDone = false;
  try {
    for (;;) {
      if (hop.signal.aborted) return;
      let next: IteratorResult<unknown>;
      try {
        next = await items.next();
      } catch {
        // The caller's input failed (cancelled, connection lost): cancel the owner's call.
        inputDone = true;
        hop.abort();
        return;
      }
      if (next.done) {
        inputDone = true;
        call.end();
        return;
      }
      // Waits for the owner's credit. A rejection means the call failed on
      // the owner's side: the reply stream reports why.
      await call.send(next.value);
    }
  } catch {
    // Reported through the replies.
  } finally {
    if (!inputDone) await items.return?.().catch(() => {});
  }
}

/** The owner's replies as the caller's stream; the caller stopping early cancels the owner's call. */
async function* relayReplies(
  replies: AsyncIterator<unknown>,
  hop: AbortController,
  release: () => void,
): AsyncGenerator<unknown> {
  let complete = false;
  try {
    for (;;) {
      const next = await replies.next();
      if (next.done) {
        complete = true;
        return;
      }
      yield next.value;
    }
  } finally {
    release();
    if (!complete) {
      hop.abort();
      await replies.return?.().catch(() => {});
    }
  }
}

const LOCAL_CONNECTION: Connection = Object.freeze({
  id: 'cluster:local',
  gateway: 'cluster',
  transport: 'local',
});

function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    work.then(
      () => {
        clearTimeout(t);
        resolve();
      },
      () => {
        clearTimeout(t);
        resolve();
      },
    );
  });
}
