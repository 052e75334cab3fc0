import { type Latency, sampleLatency, validateLatency } from './latency.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

/** Fault settings of one directed link (from → to). */
export interface LinkConfig {
  /** Probability a message is lost. Default 0. */
  drop?: number;
  /** One-way delay. Default uniform 1..5 ms. */
  latency?: Latency;
  /** Probability a message is delivered twice (the copy gets its own latency). Default 0. */
  duplicate?: number;
  /** Probability a message is held back by an extra `reorderDelay`. Default 0. */
  reorder?: number;
  /** Extra delay for reordered messages. Default uniform 0..50 ms. */
  reorderDelay?: Latency;
  /** Bytes per ms the link can carry (messages queue behind each other). Default unlimited. */
  bandwidth?: number;
  /** Deliver in send order, like one TCP connection. Default false (UDP-like). */
  fifo?: boolean;
}

/** A message in flight. */
export interface Envelope<M> {
  readonly id: number;
  readonly from: string;
  readonly to: string;
  readonly message: M;
  readonly type: string;
  readonly sentAt: number;
  readonly size: number;
}

export type DropReason = 'random' | 'partition' | 'filter' | 'down' | 'overflow';

export type MessageHandler<M> = (message: M, from: string, envelope: Envelope<M>) => void;

export interface NetworkOptions<M> {
  /** Link settings used where no per-link override exists. */
  defaults?: LinkConfig;
  /** Message size in bytes, for the bandwidth cap and byte counters. */
  sizeOf?: (message: M) => number;
  /** Message type name, for filters and per-type counters. Default: `message.type` if a string. */
  typeOf?: (message: M) => string;
  /** Copy each delivered message (e.g. structuredClone) so sender and receiver never share objects. */
  clone?: (message: M) => M;
  /** Most messages in flight at once; beyond it sends are dropped ('overflow'). Default 100,000. */
  maxInFlight?: number;
  /** Most messages held for one paused node; beyond it they are dropped. Default 10,000. */
  maxHeldPerNode?: number;
  /** Observer for tracing: every send, delivery and drop. */
  tap?: (kind: 'send' | 'deliver' | 'drop', envelope: Envelope<M>, reason?: DropReason) => void;
}

export interface NetworkCounters {
  sent: number;
  delivered: number;
  duplicated: number;
  dropped: number;
  droppedBy: Record<DropReason, number>;
  bytesSent: number;
  inFlight: number;
  byType: Map<string, { sent: number; delivered: number; dropped: number }>;
}

/** Returns true to drop the message. */
export type MessageFilter<M> = (envelope: Envelope<M>) => boolean;

interface LinkState {
  blocked: boolean;
  /** Per-link settings as given to configureLink (undefined: use the defaults). */
  override: LinkConfig | undefined;
  /** Defaults merged with the override, kept current so sends do not merge. */
  effective: Required<LinkConfig> | undefined;
  busyUntil: number;
  lastDeliverAt: number;
}

interface NodeState<M> {
  handler: MessageHandler<M> | undefined;
  up: boolean;
  paused: boolean;
  held: Envelope<M>[];
  /** Outgoing links by destination, created on first use (no string keys on the hot path). */
  out: Map<string, LinkState>;
}

const DEFAULT_LINK: Required<LinkConfig> = {
  drop: 0,
  latency: { min: 1, max: 5 },
  duplicate: 0,
  reorder: 0,
  reorderDelay: { min: 0, max: 50 },
  bandwidth: Number.POSITIVE_INFINITY,
  fifo: false,
};

function defaultTypeOf(message: unknown): string {
  if (typeof message === 'object' && message !== null) {
    const t = (message as { type?: unknown }).type;
    if (typeof t === 'string') return t;
    if (typeof t === 'number') return String(t);
  }
  return typeof message;
}

function defaultSizeOf(message: unknown): number {
  if (message instanceof Uint8Array) return message.byteLength;
  if (message instanceof ArrayBuffer) return message.byteLength;
  if (typeof message === 'string') return message.length;
  return 64;
}

function checkProbability(name: string, p: number | undefined): void {
  if (p !== undefined && !(p >= 0 && p <= 1)) {
    throw new RangeError(`${name}: probability must be in [0, 1], got ${p}`);
  }
}

function validateLink(cfg: LinkConfig): void {
  checkProbability('drop', cfg.drop);
  checkProbability('duplicate', cfg.duplicate);
  checkProbability('reorder', cfg.reorder);
  if (cfg.latency !== undefined) validateLatency(cfg.latency);
  if (cfg.reorderDelay !== undefined) validateLatency(cfg.reorderDelay);
  if (cfg.bandwidth !== undefined && !(cfg.bandwidth > 0)) {
    throw new RangeError(`bandwidth must be > 0 bytes/ms, got ${cfg.bandwidth}`);
  }
}

/**
 * A simulated message network between named nodes. Delivery goes through the
 * scheduler, so it is deterministic for a given seed. Partitions apply both at
 * send time and at delivery time (a partition also loses what is in flight).
 */
export class Network<M = unknown> {
  private readonly nodes = new Map<string, NodeState<M>>();
  private readonly filters = new Set<MessageFilter<M>>();
  private defaults: Required<LinkConfig>;
  private readonly sizeOf: (message: M) => number;
  private readonly typeOf: (message: M) => string;
  private readonly clone: ((message: M) => M) | undefined;
  private readonly maxInFlight: number;
  private readonly maxHeld: number;
  private readonly tap: NetworkOptions<M>['tap'];
  private nextId = 1;
  readonly counters: NetworkCounters = {
    sent: 0,
    delivered: 0,
    duplicated: 0,
    dropped: 0,
    droppedBy: { random: 0, partition: 0, filter: 0, down: 0, overflow: 0 },
    bytesSent: 0,
    inFlight: 0,
    byType: new Map(),
  };

  constructor(
    private readonly scheduler: Scheduler,
    private readonly rng: Prng,
    options: NetworkOptions<M> = {},
  ) {
    if (options.defaults) validateLink(options.defaults);
    this.defaults = { ...DEFAULT_LINK, ...options.defaults };
    this.sizeOf = options.sizeOf ?? defaultSizeOf;
    this.typeOf = options.typeOf ?? defaultTypeOf;
    this.clone = options.clone;
    this.maxInFlight = options.maxInFlight ?? 100_000;
    this.maxHeld = options.maxHeldPerNode ?? 10_000;
    this.tap = options.tap;
  }

  /** Adds a node (up, not paused). Adding an existing name is an error. */
  addNode(name: string, handler?: MessageHandler<M>): void {
    if (typeof name !== 'string' || name.length === 0)
      throw new TypeError('node name must be a non-empty string');
    if (this.nodes.has(name)) throw new Error(`network: node ${name} already exists`);
    this.nodes.set(name, { handler, up: true, paused: false, held: [], out: new Map() });
  }

  /** Sets (or replaces, e.g. after a restart) the receive handler of a node. */
  setHandler(name: string, handler: MessageHandler<M>): void {
    this.node(name).handler = handler;
  }

  /** Names of all nodes, in insertion order. */
  get nodeNames(): string[] {
    return [...this.nodes.keys()];
  }

  /** Marks a node crashed (false) or running (true). A down node neither sends nor receives. */
  setUp(name: string, up: boolean): void {
    const n = this.node(name);
    n.up = up;
    if (!up) {
      for (const env of n.held) this.dropped(env, 'down');
      n.held = [];
      n.paused = false;
    }
  }

  isUp(name: string): boolean {
    return this.node(name).up;
  }

  /** Holds deliveries to a node (a stalled process) until `resume`. */
  pause(name: string): void {
    this.node(name).paused = true;
  }

  /** Delivers everything held during the pause, in arrival order, at the current time. */
  resume(name: string): void {
    const n = this.node(name);
    if (!n.paused) return;
    n.paused = false;
    const held = n.held;
    n.held = [];
    for (const env of held) {
      const link = this.link(this.node(env.from), env.to);
      this.scheduler.setTimer(0, () => this.deliver(env, link));
    }
  }

  isPaused(name: string): boolean {
    return this.node(name).paused;
  }

  /** Replaces the default link settings (unspecified fields keep built-in defaults). */
  configure(defaults: LinkConfig): void {
    validateLink(defaults);
    this.defaults = { ...DEFAULT_LINK, ...defaults };
    for (const n of this.nodes.values()) {
      for (const l of n.out.values())
        l.effective = l.override && { ...this.defaults, ...l.override };
    }
  }

  /** Overrides settings of the directed link from → to (merged over the defaults). */
  configureLink(from: string, to: string, cfg: LinkConfig): void {
    this.node(to);
    validateLink(cfg);
    const l = this.link(this.node(from), to);
    l.override = { ...l.override, ...cfg };
    l.effective = { ...this.defaults, ...l.override };
  }

  /** The per-link override of from → to as set by configureLink, if any (a copy). */
  linkOverride(from: string, to: string): LinkConfig | undefined {
    this.node(to);
    const o = this.node(from).out.get(to)?.override;
    return o && { ...o };
  }

  /** Replaces (or with undefined, removes) the per-link override of from → to. */
  setLinkOverride(from: string, to: string, cfg: LinkConfig | undefined): void {
    this.node(to);
    if (cfg) validateLink(cfg);
    const l = this.link(this.node(from), to);
    l.override = cfg && { ...cfg };
    l.effective = cfg && { ...this.defaults, ...cfg };
  }

  /** Effective settings of a directed link. */
  linkConfig(from: string, to: string): Required<LinkConfig> {
    this.node(to);
    return this.node(from).out.get(to)?.effective ?? this.defaults;
  }

  /** Blocks messages from every node in `from` to every node in `to` (one way). */
  partitionOneWay(from: readonly string[], to: readonly string[]): void {
    for (const b of to) this.node(b);
    for (const a of from) {
      const n = this.node(a);
      for (const b of to) if (a !== b) this.link(n, b).blocked = true;
    }
  }

  /**
   * Splits the network: no messages between `side` and `other` in either
   * direction. `other` defaults to every node not in `side`.
   */
  partition(side: readonly string[], other?: readonly string[]): void {
    const rest = other ?? this.nodeNames.filter((n) => !side.includes(n));
    this.partitionOneWay(side, rest);
    this.partitionOneWay(rest, side);
  }

  /** Cuts one node off from all others, both directions. */
  isolate(name: string): void {
    this.partition([name]);
  }

  /** Whether from → to currently passes messages (ignores random drop). */
  connected(from: string, to: string): boolean {
    this.node(to);
    return !this.node(from).out.get(to)?.blocked;
  }

  /** Removes all partitions and per-link overrides. Filters stay (remove them with their handle). */
  heal(): void {
    for (const n of this.nodes.values()) {
      for (const l of n.out.values()) {
        l.blocked = false;
        l.override = undefined;
        l.effective = undefined;
      }
    }
  }

  /** Removes all partitions, keeping per-link settings. */
  healPartitions(): void {
    for (const n of this.nodes.values()) for (const l of n.out.values()) l.blocked = false;
  }

  /** Adds a filter (return true to drop). Returns a function that removes it. */
  addFilter(filter: MessageFilter<M>): () => void {
    this.filters.add(filter);
    return () => {
      this.filters.delete(filter);
    };
  }

  /** Drops messages of the given types, optionally only from/to given nodes. Returns a remover. */
  dropTypes(
    types: readonly string[],
    where: { from?: readonly string[]; to?: readonly string[] } = {},
  ): () => void {
    const ts = new Set(types);
    const from = where.from ? new Set(where.from) : undefined;
    const to = where.to ? new Set(where.to) : undefined;
    return this.addFilter(
      (e) => ts.has(e.type) && (!from || from.has(e.from)) && (!to || to.has(e.to)),
    );
  }

  /** Sends a message. Returns false if it was dropped at send time. */
  send(from: string, to: string, message: M): boolean {
    const src = this.node(from);
    if (!this.nodes.has(to)) this.node(to);
    const link = this.link(src, to);
    const size = this.sizeOf(message);
    const env: Envelope<M> = {
      id: this.nextId++,
      from,
      to,
      message,
      type: this.typeOf(message),
      sentAt: this.scheduler.now(),
      size,
    };
    const c = this.counters;
    c.sent++;
    c.bytesSent += size;
    this.typeCounter(env.type).sent++;
    this.tap?.('send', env);
    if (!src.up) return this.dropped(env, 'down');
    if (link.blocked) return this.dropped(env, 'partition');
    for (const f of this.filters) if (f(env)) return this.dropped(env, 'filter');
    const cfg = link.effective ?? this.defaults;
    if (cfg.drop > 0 && this.rng.chance(cfg.drop)) return this.dropped(env, 'random');
    if (!this.schedule(env, cfg, link)) return false;
    if (cfg.duplicate > 0 && this.rng.chance(cfg.duplicate)) {
      c.duplicated++;
      this.schedule(env, cfg, link);
    }
    return true;
  }

  private schedule(env: Envelope<M>, cfg: Required<LinkConfig>, link: LinkState): boolean {
    if (this.counters.inFlight >= this.maxInFlight) {
      this.dropped(env, 'overflow');
      return false;
    }
    const now = this.scheduler.now();
    let t = now;
    if (Number.isFinite(cfg.bandwidth)) {
      t = Math.max(now, link.busyUntil) + env.size / cfg.bandwidth;
      link.busyUntil = t;
    }
    t += sampleLatency(cfg.latency, this.rng);
    if (cfg.reorder > 0 && this.rng.chance(cfg.reorder))
      t += sampleLatency(cfg.reorderDelay, this.rng);
    if (cfg.fifo) t = Math.max(t, link.lastDeliverAt);
    link.lastDeliverAt = Math.max(link.lastDeliverAt, t);
    this.counters.inFlight++;
    this.scheduler.at(t, () => {
      this.counters.inFlight--;
      this.deliver(env, link);
    });
    return true;
  }

  private deliver(env: Envelope<M>, link: LinkState): void {
    const dst = this.nodes.get(env.to);
    if (!dst?.up) {
      this.dropped(env, 'down');
      return;
    }
    if (link.blocked) {
      this.dropped(env, 'partition');
      return;
    }
    if (dst.paused) {
      if (dst.held.length >= this.maxHeld) this.dropped(env, 'overflow');
      else dst.held.push(env);
      return;
    }
    this.counters.delivered++;
    this.typeCounter(env.type).delivered++;
    this.tap?.('deliver', env);
    const message = this.clone ? this.clone(env.message) : env.message;
    dst.handler?.(message, env.from, env);
  }

  private dropped(env: Envelope<M>, reason: DropReason): false {
    this.counters.dropped++;
    this.counters.droppedBy[reason]++;
    this.typeCounter(env.type).dropped++;
    this.tap?.('drop', env, reason);
    return false;
  }

  private typeCounter(type: string): { sent: number; delivered: number; dropped: number } {
    let t = this.counters.byType.get(type);
    if (!t) {
      t = { sent: 0, delivered: 0, dropped: 0 };
      this.counters.byType.set(type, t);
    }
    return t;
  }

  private node(name: string): NodeState<M> {
    const n = this.nodes.get(name);
    if (!n) throw new Error(`network: unknown node ${JSON.stringify(name)}`);
    return n;
  }

  private link(src: NodeState<M>, to: string): LinkState {
    let l = src.out.get(to);
    if (!l) {
      const now = this.scheduler.now();
      l = {
        blocked: false,
        override: undefined,
        effective: undefined,
        busyUntil: now,
        lastDeliverAt: now,
      };
      src.out.set(to, l);
    }
    return l;
  }
}
