import { randomInt } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { type ProfileName, type ProtocolConfig, resolveConfig } from './config.js';
import { type CoreStats, GossipCore, type Output } from './core.js';
import { EventStream } from './event-stream.js';
import type { GossipEvent, MemberInfo } from './events.js';
import type { Keyring } from './keyring.js';
import type { GuardStats } from './packet-guard.js';
import { readFrame, writeFrame } from './stream-framing.js';

export interface GossipOptions {
  /** Unique member name. */
  name: string;
  /** "host:port" to bind UDP and TCP on; port 0 picks a free port. Default "0.0.0.0:7946". */
  bind?: string;
  /** "host:port" others should use, when it differs from the bound address (NAT, 0.0.0.0). */
  advertise?: string;
  /** Addresses of existing members to join through. */
  seeds?: readonly string[];
  /** Node metadata (at most `maxMetaSize` bytes). */
  meta?: Uint8Array;
  /** Encrypts and authenticates every packet (AES-256-GCM). */
  keyring?: Keyring;
  /** Cluster label: members with another label ignore each other. */
  label?: string;
  /** Tuning preset. Default "lan". */
  profile?: ProfileName;
  /** Overrides on top of the profile. */
  config?: Partial<ProtocolConfig>;
  /** TCP exchanges (push-pull, fallback ping) give up after this long. Default 5,000 ms. */
  streamTimeoutMs?: number;
  /** Events buffered per `events()` iterator before the oldest are dropped. Default 1,024. */
  eventBuffer?: number;
  /** Concurrent inbound TCP connections accepted. Default 64. */
  maxConnections?: number;
}

type Listener = (e: GossipEvent) => void;

/**
 * A cluster member on real sockets: the pure GossipCore driven by node:dgram
 * (probes and gossip) and node:net (push-pull sync and fallback pings).
 */
export class Gossip {
  readonly core: GossipCore;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly streams = new Set<EventStream<GossipEvent>>();
  private readonly sockets = new Set<Socket>();
  private readonly pendingJoins = new Map<number, (ok: boolean) => void>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private closed = false;
  /** Exceptions thrown by event listeners (they never break the protocol). */
  listenerErrors = 0;

  private constructor(
    private readonly udp: UdpSocket,
    private readonly tcp: Server,
    readonly address: string,
    private readonly opts: GossipOptions,
    config: ProtocolConfig,
  ) {
    this.core = new GossipCore({
      name: opts.name,
      addr: address,
      ...(opts.meta ? { meta: opts.meta } : {}),
      config,
      random: Math.random,
      ...(opts.keyring ? { keyring: opts.keyring } : {}),
      ...(opts.label !== undefined ? { label: opts.label } : {}),
      now: clock(),
    });
    udp.on('message', (msg, rinfo) => {
      if (this.closed) return;
      this.core.receive(clock(), `${rinfo.address}:${rinfo.port}`, msg);
      this.pump();
    });
    udp.on('error', () => {
      // Transient send errors (ICMP unreachable etc.) are the protocol's business: it retries.
    });
    tcp.on('connection', (s) => this.serve(s));
    this.pump();
  }

  /** Binds sockets, starts the protocol and joins `seeds` (if any). */
  static async create(opts: GossipOptions): Promise<Gossip> {
    const config = resolveConfig(opts.profile ?? 'lan', opts.config ?? {});
    const [host, portStr] = splitHostPort(opts.bind ?? '0.0.0.0:7946');
    const wanted = Number(portStr);
    // UDP and TCP share one port number; with port 0, retry until both are free.
    for (let attempt = 0; ; attempt++) {
      const udp = createSocket(host.includes(':') ? 'udp6' : 'udp4');
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(wanted === 0 ? 0 : wanted, host, () => {
            udp.off('error', reject);
            resolve();
          });
        });
        const port = udp.address().port;
        const tcp = createServer();
        tcp.maxConnections = opts.maxConnections ?? 64;
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject);
          tcp.listen(port, host, () => {
            tcp.off('error', reject);
            resolve();
          });
        });
        const address = opts.advertise ?? `${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
        const g = new Gossip(udp, tcp, address, opts, config);
        if (opts.seeds && opts.seeds.length > 0) await g.join(opts.seeds);
        return g;
      } catch (e) {
        udp.close();
        if (wanted !== 0 || attempt >= 8) throw e;
      }
    }
  }

  get name(): string {
    return this.core.name;
  }

  /** Joins through `seeds`; resolves with how many answered (0 means still alone). */
  join(seeds: readonly string[]): Promise<number> {
    const ids = this.core.join(clock(), seeds);
    const waits = ids.map(
      (id) =>
        new Promise<boolean>((resolve) => {
          this.pendingJoins.set(id, resolve);
        }),
    );
    this.pump();
    return Promise.all(waits).then((r) => r.filter(Boolean).length);
  }

  /** Every known member (this one included). */
  members(): MemberInfo[] {
    return this.core.members();
  }

  /** Members currently alive or suspected. */
  liveMembers(): MemberInfo[] {
    return this.core.members().filter((m) => m.status === 'alive' || m.status === 'suspect');
  }

  member(name: string): MemberInfo | undefined {
    return this.core.member(name);
  }

  /** Subscribes to one event type ('join', 'update', 'suspect', 'alive', 'dead', 'leave', 'message') or '*'. */
  on(type: GossipEvent['type'] | '*', listener: Listener): () => void {
    let set = this.listeners.get(type);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(type, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  /** Every event from now on, as an async iterable (bounded; ends at close). */
  events(): AsyncIterable<GossipEvent> & { dropped: number } {
    const s = new EventStream<GossipEvent>(this.opts.eventBuffer ?? 1_024);
    this.streams.add(s);
    return s;
  }

  updateMeta(meta: Uint8Array): void {
    this.core.updateMeta(clock(), meta);
    this.pump();
  }

  broadcast(payload: Uint8Array): void {
    this.core.broadcast(clock(), payload);
    this.pump();
  }

  stats(): CoreStats & GuardStats & { health: number; droppedBroadcasts: number } {
    return {
      ...this.core.stats,
      ...this.core.guard.stats,
      health: this.core.health,
      droppedBroadcasts: this.core.droppedBroadcasts,
    };
  }

  /** Announces departure and waits (up to `timeoutMs`) for it to be gossiped, then closes. */
  async leave(timeoutMs = 2_000): Promise<void> {
    if (this.closed) return;
    this.core.leave(clock());
    this.pump();
    const end = clock() + timeoutMs;
    // Let a few gossip rounds carry the news even if the queue empties early.
    const minEnd = clock() + 3 * this.core.config.gossipIntervalMs;
    while (clock() < end && (this.core.pendingBroadcasts > 0 || clock() < minEnd)) {
      await new Promise((r) => setTimeout(r, this.core.config.gossipIntervalMs / 2));
    }
    await this.close();
  }

  /** Stops immediately, without telling anyone (others will detect the failure). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.core.stop();
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.sockets) s.destroy();
    for (const s of this.streams) s.close();
    for (const resolve of this.pendingJoins.values()) resolve(false);
    this.pendingJoins.clear();
    await Promise.all([
      new Promise<void>((r) => this.udp.close(() => r())),
      new Promise<void>((r) => this.tcp.close(() => r())),
    ]);
  }

  private pump(): void {
    if (this.closed) return;
    for (const o of this.core.drain()) this.perform(o);
    this.schedule();
  }

  private perform(o: Output): void {
    if (o.kind === 'packet') {
      const [host, port] = splitHostPort(o.to);
      this.udp.send(o.data, Number(port), host);
    } else if (o.kind === 'stream') {
      void this.request(o.id, o.to, o.data);
    } else {
      this.deliver(o.event);
    }
  }

  private deliver(e: GossipEvent): void {
    for (const key of [e.type, '*']) {
      const set = this.listeners.get(key);
      if (set === undefined) continue;
      for (const l of set) {
        try {
          l(e);
        } catch {
          this.listenerErrors++;
        }
      }
    }
    for (const s of this.streams) s.push(e);
  }

  private schedule(): void {
    const d = this.core.nextDeadline();
    if (d === undefined || d >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = d;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerAt = Number.POSITIVE_INFINITY;
        if (this.closed) return;
        this.core.tick(clock());
        this.pump();
      },
      Math.max(0, d - clock()),
    );
  }

  /** Client side of a TCP exchange: one frame out, one frame back. */
  private async request(id: number, to: string, data: Uint8Array): Promise<void> {
    const [host, port] = splitHostPort(to);
    const timeout = this.opts.streamTimeoutMs ?? 5_000;
    let reply: Uint8Array | undefined;
    const s = connect({ host, port: Number(port) });
    this.sockets.add(s);
    s.on('error', () => {});
    try {
      const reading = readFrame(s, this.core.config.maxStreamSize, timeout);
      s.once('connect', () => writeFrame(s, data));
      reply = await reading;
    } finally {
      s.destroy();
      this.sockets.delete(s);
    }
    if (this.closed) return;
    const ok = this.core.streamResult(clock(), id, reply);
    const join = this.pendingJoins.get(id);
    if (join) {
      this.pendingJoins.delete(id);
      join(ok);
    }
    this.pump();
  }

  /** Server side of a TCP exchange. */
  private async serve(s: Socket): Promise<void> {
    this.sockets.add(s);
    s.on('error', () => {});
    try {
      const req = await readFrame(
        s,
        this.core.config.maxStreamSize,
        this.opts.streamTimeoutMs ?? 5_000,
      );
      if (req === undefined || this.closed) return;
      const reply = this.core.handleStream(clock(), `${s.remoteAddress}:${s.remotePort}`, req);
      this.pump();
      if (reply !== undefined) {
        writeFrame(s, reply);
        await new Promise<void>((r) => s.end(r));
      }
    } finally {
      s.destroy();
      this.sockets.delete(s);
    }
  }
}

/** Creates a member, binds its sockets and joins `seeds`. */
export function createGossip(opts: GossipOptions): Promise<Gossip> {
  return Gossip.create(opts);
}

/** Generates a fresh random 32-byte key for a Keyring. */
export function generateKey(): Uint8Array {
  const k = new Uint8Array(32);
  for (let i = 0; i < 32; i++) k[i] = randomInt(256);
  return k;
}

function clock(): number {
  return performance.now();
}

function splitHostPort(addr: string): [string, string] {
  const i = addr.lastIndexOf(':');
  if (i <= 0) throw new RangeError(`address must be host:port, got ${addr}`);
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return [host, addr.slice(i + 1)];
}
