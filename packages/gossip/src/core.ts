import { Awareness } from './awareness.js';
import { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';
import type { ProtocolConfig } from './config.js';
import type { GossipEvent, MemberInfo, MembershipEventType } from './events.js';
import type { Keyring } from './keyring.js';
import {
  type AliveMsg,
  DEFAULT_MESSAGE_LIMITS,
  type DeadMsg,
  decodePacket,
  decodeStreamMessage,
  encodeMessage,
  type MemberStatus,
  type Message,
  type MessageLimits,
  MsgType,
  type PushPullEntry,
  type SuspectMsg,
} from './messages.js';
import { PacketGuard } from './packet-guard.js';
import { Suspicion, suspicionMinTimeout } from './suspicion.js';
import { TimerHeap } from './timer-heap.js';
import { WireWriter } from './wire.js';

/** Something the driver must do on the core's behalf. */
export type Output =
  /** Send a UDP datagram. */
  | { kind: 'packet'; to: string; data: Uint8Array }
  /**
   * Open a TCP stream to `to`, send `data` (one framed message), read one
   * framed reply and hand it to `streamResult(id, …)` — or `undefined` on any
   * failure or timeout. Always call `streamResult` exactly once per id.
   */
  | { kind: 'stream'; id: number; to: string; data: Uint8Array }
  | { kind: 'event'; event: GossipEvent };

export interface CoreOptions {
  name: string;
  /** Address others reach this member at ("host:port"). */
  addr: string;
  meta?: Uint8Array;
  /** Starting incarnation (a restarted member may pass a higher one; refutation covers the rest). */
  incarnation?: number;
  config: ProtocolConfig;
  /** Uniform [0, 1) randomness; seeded in simulations. */
  random: () => number;
  keyring?: Keyring;
  /** Cluster label, authenticated with every packet. */
  label?: string;
  /** Start time, ms (any monotonic clock). */
  now: number;
  /** Members known at most (hostile alive floods stop here). */
  maxMembers?: number;
  /** Nonce source for encryption (tests make it deterministic). */
  nonceSource?: (n: number) => Uint8Array;
}

export interface CoreStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  streamsOpened: number;
  /** Packets or streams dropped because they did not parse. */
  malformed: number;
  /** Packets larger than maxPacketSize, dropped before any work. */
  oversized: number;
  /** Pings addressed to another name (a restarted member at a reused address). */
  misdirectedPings: number;
  /** Acks/nacks matching nothing pending (late, duplicated or replayed). */
  unmatchedAcks: number;
  /** Indirect probe requests refused because too many were in flight. */
  relaysRefused: number;
  /** Members not added because maxMembers was reached. */
  membersRefused: number;
  /** Times this member refuted a suspicion or death claim about itself. */
  refutations: number;
  /** Members this member itself declared dead after its suspicion timed out. */
  deathsDeclared: number;
  probes: number;
  probesFailed: number;
}

interface Member {
  name: string;
  addr: string;
  meta: Uint8Array;
  incarnation: number;
  status: MemberStatus;
  /** When the status last changed. */
  since: number;
  suspicion: Suspicion | undefined;
  /** Position in `list`, for O(1) removal. */
  index: number;
  /** When we last answered a stale claim about this member (rate limit). */
  correctedAt: number;
}

type Pending =
  | { kind: 'probe'; target: string; acked: boolean; expectedNacks: number; nacks: number }
  | { kind: 'relay'; requester: string; seq: number; nack: boolean };

type PendingStream = { kind: 'push-pull'; join: boolean } | { kind: 'ping'; seq: number };

const MAX_PENDING_RELAYS = 1_024;
const MAX_PENDING_STREAMS = 64;
const SEQ_MOD = 2 ** 32;
const PACKET_HEADER_ROOM = 3; // a msgpack array header for up to 65,535 messages

/**
 * The SWIM + Lifeguard state machine. It performs no I/O and reads no clock:
 * every method takes `now`, and effects accumulate as outputs the driver
 * drains. `nextDeadline()` tells the driver when to call `tick`.
 */
export class GossipCore {
  readonly name: string;
  readonly config: ProtocolConfig;
  readonly stats: CoreStats = {
    packetsSent: 0,
    packetsReceived: 0,
    bytesSent: 0,
    streamsOpened: 0,
    malformed: 0,
    oversized: 0,
    misdirectedPings: 0,
    unmatchedAcks: 0,
    relaysRefused: 0,
    membersRefused: 0,
    refutations: 0,
    deathsDeclared: 0,
    probes: 0,
    probesFailed: 0,
  };
  readonly guard: PacketGuard;

  private readonly byName = new Map<string, Member>();
  private readonly list: Member[] = [];
  private readonly self: Member;
  private readonly random: () => number;
  private readonly awareness: Awareness;
  private readonly queue: BroadcastQueue;
  private readonly timers = new TimerHeap();
  private readonly pending = new Map<number, Pending>();
  private readonly streams = new Map<number, PendingStream>();
  private readonly userSeen = new Set<string>();
  private readonly userSeenOrder: string[] = [];
  private readonly limits: MessageLimits;
  private readonly maxMembers: number;
  private readonly writer = new WireWriter(2_048);
  private out: Output[] = [];
  private now: number;
  private seq: number;
  private streamSeq = 1;
  private userSeq: number;
  private probeOrder: string[] = [];
  private probeIndex = 0;
  private activeProbe = -1;
  private relays = 0;
  /** Early syncs still due after joining (see streamResult). */
  private resyncsLeft = 0;
  /** Seeds given to `join`, kept to retry while this node still knows nobody. */
  private joinSeeds: readonly string[] = [];
  private rejoinAttempts = 0;
  /** Set while merging a join reply: learned alive members are not re-announced. */
  private quiet = false;
  private liveCount = 1;
  private leaving = false;
  private stopped = false;

  constructor(opts: CoreOptions) {
    this.name = opts.name;
    this.config = opts.config;
    this.random = opts.random;
    this.now = opts.now;
    this.maxMembers = opts.maxMembers ?? 65_536;
    const meta = opts.meta ?? new Uint8Array(0);
    if (meta.length > opts.config.maxMetaSize) {
      throw new RangeError(
        `meta is ${meta.length} bytes; maxMetaSize is ${opts.config.maxMetaSize}`,
      );
    }
    this.limits = {
      ...DEFAULT_MESSAGE_LIMITS,
      maxMeta: opts.config.maxMetaSize,
      maxPayload: opts.config.maxPacketSize,
    };
    if (opts.name.length === 0 || opts.name.length > this.limits.maxName) {
      throw new RangeError('name must be 1..128 characters');
    }
    this.guard = new PacketGuard(opts.keyring, opts.label ?? '', 8_192, opts.nonceSource);
    this.awareness = new Awareness(opts.config.awarenessMaxMultiplier, opts.config.lifeguard);
    this.queue = new BroadcastQueue(opts.config.maxQueuedBroadcasts);
    this.seq = Math.floor(this.random() * SEQ_MOD);
    this.userSeq = Math.floor(this.random() * 2 ** 40);
    this.self = this.addMember(opts.name, opts.addr, meta, opts.incarnation ?? 0, 'alive');
    const c = this.config;
    // Stagger the periodic work so members started together do not move in lockstep.
    this.timers.set('probe', '', this.now + this.random() * c.probeIntervalMs);
    this.timers.set('gossip', '', this.now + this.random() * c.gossipIntervalMs);
    if (c.pushPullIntervalMs > 0) {
      this.timers.set('push-pull', '', this.now + (1 + this.random()) * c.pushPullIntervalMs);
    }
    this.timers.set('reap', '', this.now + c.deadReapMs / 8);
    if (c.pushPullIntervalMs > 0) {
      this.timers.set(
        'reconnect',
        '',
        this.now + ((0.5 + this.random()) * c.pushPullIntervalMs) / 2,
      );
    }
  }

  // ---------------------------------------------------------------- inputs

  /** Starts push-pull syncs with seed addresses; returns the stream ids (join succeeds when one replies). */
  join(now: number, seeds: readonly string[]): number[] {
    this.now = now;
    this.joinSeeds = seeds.filter((addr) => addr !== this.self.addr);
    this.rejoinAttempts = 0;
    return this.openJoinStreams();
  }

  private openJoinStreams(): number[] {
    const ids: number[] = [];
    for (const addr of this.joinSeeds) {
      if (addr === this.self.addr) continue;
      const id = this.openStream(addr, this.pushPullMessage(true), {
        kind: 'push-pull',
        join: true,
      });
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  /** Runs every deadline due at `now`. */
  tick(now: number): void {
    this.now = now;
    for (;;) {
      const t = this.timers.popDue(now);
      if (t === undefined) break;
      if (this.stopped) continue;
      switch (t.kind) {
        case 'probe':
          this.probeTick();
          break;
        case 'probe-timeout':
          this.probeTimeout(Number(t.key));
          break;
        case 'probe-end':
          this.probeEnd(Number(t.key));
          break;
        case 'relay':
          this.relayTimeout(Number(t.key));
          break;
        case 'gossip':
          this.gossipTick();
          break;
        case 'push-pull':
          this.pushPullTick();
          break;
        case 'reconnect':
          this.reconnectTick();
          break;
        case 'resync':
          this.resyncTick();
          break;
        case 'rejoin':
          // Still alone: nobody answered or learned of us. Try the seeds again.
          if (!this.leaving && this.liveCount <= 1) this.openJoinStreams();
          break;
        case 'suspicion':
          this.suspicionTimeout(t.key);
          break;
        case 'reap':
          this.reapTick();
          break;
      }
    }
  }

  /** A UDP datagram arrived from `from`. */
  receive(now: number, from: string, data: Uint8Array): void {
    this.now = now;
    if (this.stopped) return;
    this.stats.packetsReceived++;
    if (data.length > this.config.maxPacketSize) {
      this.stats.oversized++;
      return;
    }
    const body = this.guard.open(data);
    if (body === undefined) return;
    let msgs: Message[];
    try {
      msgs = decodePacket(body, this.limits);
    } catch {
      this.stats.malformed++;
      return;
    }
    for (const m of msgs) this.handle(from, m);
  }

  /**
   * A TCP stream request arrived (push-pull or fallback ping); returns the
   * sealed reply to write back, or undefined to just close.
   */
  handleStream(now: number, _from: string, data: Uint8Array): Uint8Array | undefined {
    this.now = now;
    if (this.stopped) return undefined;
    const m = this.openStreamMessage(data);
    if (m === undefined) return undefined;
    if (m.type === MsgType.PushPull) {
      const reply = this.guard.seal(this.pushPullMessage(false));
      this.mergeRemoteState(m.members);
      return reply;
    }
    if (m.type === MsgType.Ping) {
      if (m.target !== this.name) {
        this.stats.misdirectedPings++;
        return undefined;
      }
      return this.guard.seal(encodeMessage({ type: MsgType.Ack, seq: m.seq }));
    }
    this.stats.malformed++;
    return undefined;
  }

  /** The reply to stream `id` (undefined if it failed). */
  streamResult(now: number, id: number, data: Uint8Array | undefined): boolean {
    this.now = now;
    const s = this.streams.get(id);
    if (s === undefined) return false;
    this.streams.delete(id);
    const applied = this.applyStreamResult(s, data);
    if (!applied && s.kind === 'push-pull' && s.join) this.rejoinLater();
    return applied;
  }

  /**
   * A join whose every seed failed (lost packets, a seed restarting) would
   * leave this node alone for good, since nobody else knows to contact it:
   * retry with capped exponential backoff and jitter while it knows nobody.
   */
  private rejoinLater(): void {
    if (this.stopped || this.leaving || this.liveCount > 1) return;
    for (const pending of this.streams.values()) {
      if (pending.kind === 'push-pull' && pending.join) return; // another seed may still answer
    }
    const c = this.config;
    const cap = c.pushPullIntervalMs > 0 ? c.pushPullIntervalMs : 30_000;
    const backoff = Math.min(cap, c.probeIntervalMs * 2 ** this.rejoinAttempts);
    this.rejoinAttempts = Math.min(this.rejoinAttempts + 1, 16);
    this.timers.set('rejoin', '', this.now + backoff * (0.5 + this.random()));
  }

  /**
   * Bounds, decrypts and decodes one TCP stream message (request or reply);
   * anything oversized, unauthentic or malformed is counted and dropped.
   */
  private openStreamMessage(data: Uint8Array): Message | undefined {
    if (data.length > this.config.maxStreamSize) {
      this.stats.oversized++;
      return undefined;
    }
    const body = this.guard.open(data);
    if (body === undefined) return undefined;
    try {
      return decodeStreamMessage(body, this.limits);
    } catch {
      this.stats.malformed++;
      return undefined;
    }
  }

  private applyStreamResult(s: PendingStream, data: Uint8Array | undefined): boolean {
    if (data === undefined || this.stopped) return false;
    const m = this.openStreamMessage(data);
    if (m === undefined) return false;
    if (s.kind === 'push-pull' && m.type === MsgType.PushPull) {
      this.mergeRemoteState(m.members, !s.join);
      if (s.join && this.resyncsLeft === 0) {
        // Members that joined at about the same time as us are in neither our
        // seed's reply nor (reliably) in gossip, because everyone else already
        // knows them and stops spreading: two early syncs with random members
        // close that gap.
        this.resyncsLeft = 2;
        this.timers.set(
          'resync',
          '',
          this.now + 2 * this.config.probeIntervalMs * (1 + this.random()),
        );
      }
      return true;
    }
    if (s.kind === 'ping' && m.type === MsgType.Ack && m.seq === s.seq) {
      this.ackReceived(s.seq);
      return true;
    }
    this.stats.malformed++;
    return false;
  }

  /** Leaves gracefully: tells the cluster, stops probing; keep ticking a little so it spreads. */
  leave(now: number): void {
    this.now = now;
    if (this.leaving) return;
    this.leaving = true;
    this.setStatus(this.self, 'left');
    this.enqueue(`m:${this.name}`, {
      type: MsgType.Dead,
      name: this.name,
      incarnation: this.self.incarnation,
      from: this.name,
    });
    // Push the news out at once rather than waiting for the next gossip round.
    this.gossipTick(false);
  }

  /** Stops all activity (after leave, or to simulate a crash). */
  stop(): void {
    this.stopped = true;
  }

  /** Replaces this member's metadata and spreads it. */
  updateMeta(now: number, meta: Uint8Array): void {
    this.now = now;
    if (meta.length > this.config.maxMetaSize) {
      throw new RangeError(
        `meta is ${meta.length} bytes; maxMetaSize is ${this.config.maxMetaSize}`,
      );
    }
    this.self.meta = Uint8Array.from(meta);
    this.self.incarnation++;
    this.enqueueSelfAlive();
  }

  /** Spreads `payload` to every member (at most once each, best effort). */
  broadcast(now: number, payload: Uint8Array): void {
    this.now = now;
    const room = this.packetBudget() - this.limits.maxName - 32;
    if (payload.length > room) {
      throw new RangeError(`broadcast payload is ${payload.length} bytes; at most ${room} fit`);
    }
    const id = this.userSeq++;
    const key = `u:${this.name}:${id}`;
    this.rememberUser(key);
    this.enqueue(key, {
      type: MsgType.User,
      origin: this.name,
      id,
      payload: Uint8Array.from(payload),
    });
  }

  // ---------------------------------------------------------------- outputs & queries

  /** Takes the outputs produced since the last call. */
  drain(): Output[] {
    const o = this.out;
    this.out = [];
    return o;
  }

  /** When `tick` must next be called, or undefined if never. */
  nextDeadline(): number | undefined {
    return this.stopped ? undefined : this.timers.peek();
  }

  /** Every known member, this one included. */
  members(): MemberInfo[] {
    return this.list.map(info);
  }

  member(name: string): MemberInfo | undefined {
    const m = this.byName.get(name);
    return m && info(m);
  }

  /** A member's status without copying its record (cheap enough for tight loops). */
  statusOf(name: string): MemberStatus | undefined {
    return this.byName.get(name)?.status;
  }

  /** Members currently alive or suspected (this one included unless it left). */
  get numLive(): number {
    return this.liveCount;
  }

  get incarnation(): number {
    return this.self.incarnation;
  }

  /** Lifeguard local health score (0 = healthy). */
  get health(): number {
    return this.awareness.value;
  }

  get pendingBroadcasts(): number {
    return this.queue.size;
  }

  get droppedBroadcasts(): number {
    return this.queue.dropped;
  }

  // ---------------------------------------------------------------- dispatch

  private handle(from: string, m: Message): void {
    switch (m.type) {
      case MsgType.Ping:
        if (m.target !== this.name) {
          this.stats.misdirectedPings++;
          return;
        }
        this.sendPacket(from, [encodeMessage({ type: MsgType.Ack, seq: m.seq })]);
        return;
      case MsgType.Ack:
        this.ackReceived(m.seq);
        return;
      case MsgType.Nack: {
        const p = this.pending.get(m.seq);
        if (p?.kind === 'probe') p.nacks++;
        else this.stats.unmatchedAcks++;
        return;
      }
      case MsgType.PingReq:
        this.relay(from, m.seq, m.target, m.targetAddr, m.nack);
        return;
      case MsgType.Alive:
        this.onAlive(m);
        return;
      case MsgType.Suspect:
        this.correctStaleClaim(from, m.name, m.incarnation);
        this.onSuspect(m);
        return;
      case MsgType.Dead:
        this.correctStaleClaim(from, m.name, m.incarnation);
        this.onDead(m);
        return;
      case MsgType.User: {
        const key = `u:${m.origin}:${m.id}`;
        if (this.userSeen.has(key)) return;
        this.rememberUser(key);
        this.enqueue(key, m);
        this.emitRaw({ type: 'message', origin: m.origin, payload: m.payload });
        return;
      }
      case MsgType.PushPull:
        // Full state only travels over streams; over UDP it is a protocol violation.
        this.stats.malformed++;
        return;
    }
  }

  // ---------------------------------------------------------------- probing

  private probeTick(): void {
    if (this.leaving) return;
    const interval = this.awareness.scale(this.config.probeIntervalMs);
    this.timers.set('probe', '', this.now + interval);
    const target = this.nextProbeTarget();
    if (target === undefined) return;
    const seq = this.nextSeq();
    this.activeProbe = seq;
    this.stats.probes++;
    this.pending.set(seq, {
      kind: 'probe',
      target: target.name,
      acked: false,
      expectedNacks: 0,
      nacks: 0,
    });
    const msgs = [
      encodeMessage({ type: MsgType.Ping, seq, target: target.name, source: this.name }),
    ];
    if (target.status === 'suspect' && this.config.lifeguard) {
      // Buddy system: tell the suspect directly so it can refute at once.
      msgs.push(
        encodeMessage({
          type: MsgType.Suspect,
          name: target.name,
          incarnation: target.incarnation,
          from: this.name,
        }),
      );
    }
    this.sendPacket(target.addr, msgs, true);
    this.timers.set(
      'probe-timeout',
      String(seq),
      this.now + this.awareness.scale(this.config.probeTimeoutMs),
    );
    this.timers.set('probe-end', String(seq), this.now + interval);
  }

  private nextProbeTarget(): Member | undefined {
    for (let tries = 0; tries < 2; tries++) {
      while (this.probeIndex < this.probeOrder.length) {
        const name = this.probeOrder[this.probeIndex++] as string;
        const m = this.byName.get(name);
        if (
          m !== undefined &&
          m !== this.self &&
          (m.status === 'alive' || m.status === 'suspect')
        ) {
          return m;
        }
      }
      // End of the round: a fresh random permutation (randomized round-robin).
      this.probeOrder = this.list.filter((m) => m !== this.self).map((m) => m.name);
      for (let i = this.probeOrder.length - 1; i > 0; i--) {
        const j = Math.floor(this.random() * (i + 1));
        const t = this.probeOrder[i] as string;
        this.probeOrder[i] = this.probeOrder[j] as string;
        this.probeOrder[j] = t;
      }
      this.probeIndex = 0;
    }
    return undefined;
  }

  private probeTimeout(seq: number): void {
    const p = this.pending.get(seq);
    if (p?.kind !== 'probe' || p.acked) return;
    const target = this.byName.get(p.target);
    if (target === undefined) return;
    const helpers = this.randomMembers(
      this.config.indirectChecks,
      (m) => m.status === 'alive' && m !== target,
    );
    const req = encodeMessage({
      type: MsgType.PingReq,
      seq,
      target: target.name,
      targetAddr: target.addr,
      nack: this.config.lifeguard,
    });
    for (const h of helpers) this.sendPacket(h.addr, [req]);
    if (this.config.lifeguard) p.expectedNacks = helpers.length;
    if (this.config.tcpFallbackPing) {
      const ping = encodeMessage({
        type: MsgType.Ping,
        seq,
        target: target.name,
        source: this.name,
      });
      this.openStream(target.addr, ping, { kind: 'ping', seq });
    }
  }

  private probeEnd(seq: number): void {
    const p = this.pending.get(seq);
    this.pending.delete(seq);
    if (this.activeProbe === seq) this.activeProbe = -1;
    if (p?.kind !== 'probe' || p.acked) return;
    this.stats.probesFailed++;
    // Lifeguard: missing nacks mean our own network or CPU is the problem.
    if (p.expectedNacks > 0) this.awareness.apply(Math.max(0, p.expectedNacks - p.nacks));
    else this.awareness.apply(1);
    const target = this.byName.get(p.target);
    if (target === undefined || (target.status !== 'alive' && target.status !== 'suspect')) return;
    this.onSuspect({
      type: MsgType.Suspect,
      name: target.name,
      incarnation: target.incarnation,
      from: this.name,
    });
  }

  private ackReceived(seq: number): void {
    const p = this.pending.get(seq);
    if (p === undefined) {
      this.stats.unmatchedAcks++;
      return;
    }
    if (p.kind === 'probe') {
      if (p.acked) return;
      p.acked = true;
      this.pending.delete(seq);
      this.timers.cancel('probe-timeout', String(seq));
      this.timers.cancel('probe-end', String(seq));
      this.awareness.apply(-1);
      return;
    }
    this.pending.delete(seq);
    this.relays--;
    this.timers.cancel('relay', String(seq));
    this.sendPacket(p.requester, [encodeMessage({ type: MsgType.Ack, seq: p.seq })]);
  }

  private relay(requester: string, seq: number, target: string, addr: string, nack: boolean): void {
    if (this.relays >= MAX_PENDING_RELAYS) {
      this.stats.relaysRefused++;
      return;
    }
    const local = this.nextSeq();
    this.relays++;
    this.pending.set(local, { kind: 'relay', requester, seq, nack });
    this.sendPacket(addr, [
      encodeMessage({ type: MsgType.Ping, seq: local, target, source: this.name }),
    ]);
    // The nack must reach the requester before its probe round ends, so wait a
    // little less than the time it has left after its own direct timeout.
    const c = this.config;
    const wait = 0.8 * Math.min(c.probeTimeoutMs, c.probeIntervalMs - c.probeTimeoutMs);
    this.timers.set('relay', String(local), this.now + Math.max(1, wait));
  }

  private relayTimeout(local: number): void {
    const p = this.pending.get(local);
    if (p?.kind !== 'relay') return;
    this.pending.delete(local);
    this.relays--;
    if (p.nack) {
      this.sendPacket(p.requester, [encodeMessage({ type: MsgType.Nack, seq: p.seq })]);
    }
  }

  // ---------------------------------------------------------------- state changes

  private onAlive(m: AliveMsg): void {
    if (m.name === this.name) {
      if (this.leaving || m.incarnation < this.self.incarnation) return;
      if (
        m.incarnation === this.self.incarnation &&
        m.addr === this.self.addr &&
        bytesEqual(m.meta, this.self.meta)
      ) {
        return;
      }
      // A claim about us we did not make (an earlier life, or a forgery with a
      // valid key): outvote it.
      this.refute(m.incarnation);
      return;
    }
    const cur = this.byName.get(m.name);
    if (cur === undefined) {
      if (this.byName.size >= this.maxMembers) {
        this.stats.membersRefused++;
        return;
      }
      const added = this.addMember(m.name, m.addr, m.meta, m.incarnation, 'alive');
      this.insertIntoProbeOrder(m.name);
      this.enqueue(`m:${m.name}`, m);
      this.emit('join', added, m.name);
      return;
    }
    const gone = cur.status === 'dead' || cur.status === 'left';
    if (m.incarnation <= cur.incarnation && !(gone && m.addr !== cur.addr)) return;
    const prev = cur.status;
    const changed = cur.addr !== m.addr || !bytesEqual(cur.meta, m.meta);
    cur.incarnation = m.incarnation;
    cur.addr = m.addr;
    cur.meta = m.meta;
    this.clearSuspicion(cur);
    this.setStatus(cur, 'alive');
    this.enqueue(`m:${m.name}`, m);
    if (gone) {
      this.insertIntoProbeOrder(m.name);
      this.emit('join', cur, m.name);
    } else {
      if (prev === 'suspect') this.emit('alive', cur, m.name);
      if (changed) this.emit('update', cur, m.name);
    }
  }

  private onSuspect(m: SuspectMsg): void {
    if (m.name === this.name) {
      if (this.leaving || m.incarnation < this.self.incarnation) return;
      this.refute(m.incarnation);
      return;
    }
    const cur = this.byName.get(m.name);
    if (cur === undefined || m.incarnation < cur.incarnation) return;
    if (cur.status === 'suspect' && m.incarnation === cur.incarnation) {
      if (cur.suspicion?.confirm(m.from)) {
        this.timers.set('suspicion', cur.name, cur.suspicion.deadline);
        this.enqueue(`m:${m.name}`, m);
      }
      return;
    }
    // A suspicion at a newer incarnation than ours proves the member refuted the
    // one we hold (we missed its alive): it is a new suspicion, not a
    // confirmation. Counting it as one would shrink a long-running stale timer
    // and declare the member dead at once.
    if (cur.status !== 'alive' && cur.status !== 'suspect') return;
    this.clearSuspicion(cur);
    cur.incarnation = m.incarnation;
    this.setStatus(cur, 'suspect');
    const c = this.config;
    const n = this.liveCount;
    let k = c.lifeguard ? c.suspicionConfirmations : 0;
    // Too few members to expect independent confirmations: do not wait for them.
    if (n - 2 < k) k = 0;
    const min = suspicionMinTimeout(c.suspicionMult, n, c.probeIntervalMs);
    const max = c.lifeguard ? c.suspicionMaxTimeoutMult * min : min;
    cur.suspicion = new Suspicion(m.from, this.now, k, min, max);
    this.timers.set('suspicion', cur.name, cur.suspicion.deadline);
    this.enqueue(`m:${m.name}`, m);
    this.emit('suspect', cur, m.from);
  }

  /**
   * A suspect or dead claim older than the alive incarnation we know means the
   * sender missed a refutation and is still racing its suspicion timer against
   * it: send it the refutation directly instead of hoping gossip reaches it
   * in time (a buddy ping from a stale suspecter gets the same answer from the
   * suspect itself). At most once per gossip interval per member, so a flood
   * of stale claims cannot be reflected at a higher rate.
   */
  private correctStaleClaim(from: string, name: string, incarnation: number): void {
    const m = this.byName.get(name);
    if (m === undefined || m.status !== 'alive' || incarnation >= m.incarnation) return;
    if (m === this.self && this.leaving) return;
    if (this.now - m.correctedAt < this.config.gossipIntervalMs) return;
    m.correctedAt = this.now;
    this.sendPacket(from, [
      encodeMessage({
        type: MsgType.Alive,
        name: m.name,
        addr: m.addr,
        incarnation: m.incarnation,
        meta: m.meta,
      }),
    ]);
  }

  private suspicionTimeout(name: string): void {
    const cur = this.byName.get(name);
    if (cur?.status !== 'suspect') return;
    this.stats.deathsDeclared++;
    this.onDead({ type: MsgType.Dead, name, incarnation: cur.incarnation, from: this.name });
    // The verdict is what "dead everywhere" waits for: push it out now (it is
    // the least-sent item, so it goes first) rather than at the next round.
    this.gossipTick(false);
  }

  private onDead(m: DeadMsg): void {
    if (m.name === this.name) {
      if (this.leaving || m.incarnation < this.self.incarnation) return;
      this.refute(m.incarnation);
      return;
    }
    const cur = this.byName.get(m.name);
    if (cur === undefined || m.incarnation < cur.incarnation) return;
    const left = m.from === m.name;
    // A member's own goodbye outranks our verdict: if its leave reached us only
    // after we had declared it dead (its last packets were lost), record that it
    // left, so every view converges on 'left' through gossip and push-pull.
    if (cur.status === 'left' || (cur.status === 'dead' && !left)) return;
    cur.incarnation = m.incarnation;
    this.clearSuspicion(cur);
    this.setStatus(cur, left ? 'left' : 'dead');
    this.enqueue(`m:${m.name}`, m);
    this.emit(left ? 'leave' : 'dead', cur, m.from);
  }

  private refute(accused: number): void {
    this.stats.refutations++;
    this.self.incarnation = Math.max(this.self.incarnation, accused) + 1;
    // Lifeguard: being suspected hints that we are the slow one.
    this.awareness.apply(1);
    this.enqueueSelfAlive();
    // A refutation races the accusers' suspicion timers: push it out now
    // rather than at the next gossip round.
    this.gossipTick(false);
  }

  private enqueueSelfAlive(): void {
    this.enqueue(`m:${this.name}`, {
      type: MsgType.Alive,
      name: this.name,
      addr: this.self.addr,
      incarnation: this.self.incarnation,
      meta: this.self.meta,
    });
  }

  private clearSuspicion(m: Member): void {
    if (m.suspicion !== undefined) {
      m.suspicion = undefined;
      this.timers.cancel('suspicion', m.name);
    }
  }

  // ---------------------------------------------------------------- dissemination

  private gossipTick(reschedule = true): void {
    if (reschedule) this.timers.set('gossip', '', this.now + this.config.gossipIntervalMs);
    if (this.queue.size === 0) return;
    const horizon = this.now - this.config.gossipToTheDeadMs;
    const targets = this.randomMembers(
      this.config.gossipNodes,
      (m) => m.status === 'alive' || m.status === 'suspect' || m.since > horizon,
    );
    for (const t of targets) {
      if (this.queue.size === 0) break;
      this.sendPacket(t.addr, [], true);
    }
  }

  private pushPullTick(): void {
    // Fewer syncs per member as the cluster grows, so the total stays modest.
    const n = this.liveCount;
    const scale = n <= 32 ? 1 : Math.ceil(Math.log2(n) - Math.log2(32)) + 1;
    this.timers.set('push-pull', '', this.now + this.config.pushPullIntervalMs * scale);
    if (this.leaving) return;
    const [peer] = this.randomMembers(1, (m) => m.status === 'alive');
    if (peer === undefined) return;
    this.openStream(peer.addr, this.pushPullMessage(false), { kind: 'push-pull', join: false });
  }

  /**
   * After a partition heals, nobody probes or syncs with members it declared
   * dead, so the two sides would stay apart until reaped. Now and then, sync
   * with a random dead (not departed) member: if it is alive it learns it was
   * declared dead, refutes, and the refutation spreads to both sides.
   */
  private resyncTick(): void {
    if (this.resyncsLeft <= 0 || this.leaving) return;
    this.resyncsLeft--;
    if (this.resyncsLeft > 0) {
      this.timers.set(
        'resync',
        '',
        this.now + 4 * this.config.probeIntervalMs * (1 + this.random()),
      );
    }
    const [peer] = this.randomMembers(1, (m) => m.status === 'alive');
    if (peer === undefined) return;
    this.openStream(peer.addr, this.pushPullMessage(false), { kind: 'push-pull', join: false });
  }

  private reconnectTick(): void {
    const c = this.config;
    this.timers.set('reconnect', '', this.now + ((0.5 + this.random()) * c.pushPullIntervalMs) / 2);
    if (this.leaving) return;
    const [peer] = this.randomMembers(1, (m) => m.status === 'dead');
    if (peer === undefined) return;
    this.openStream(peer.addr, this.pushPullMessage(false), { kind: 'push-pull', join: false });
  }

  private pushPullMessage(join: boolean): Uint8Array {
    const members: PushPullEntry[] = this.list.map((m) => ({
      name: m.name,
      addr: m.addr,
      incarnation: m.incarnation,
      status: m.status,
      meta: m.meta,
    }));
    return encodeMessage({ type: MsgType.PushPull, join, members });
  }

  /**
   * Applies a remote full state. A joiner learning the whole cluster does not
   * re-announce every member it learns (everyone else knows them already);
   * otherwise news learned by sync is spread like any other.
   */
  private mergeRemoteState(entries: readonly PushPullEntry[], rebroadcast = true): void {
    this.quiet = !rebroadcast;
    try {
      this.mergeEntries(entries);
    } finally {
      this.quiet = false;
    }
  }

  private mergeEntries(entries: readonly PushPullEntry[]): void {
    for (const e of entries) {
      switch (e.status) {
        case 'alive':
          this.onAlive({
            type: MsgType.Alive,
            name: e.name,
            addr: e.addr,
            incarnation: e.incarnation,
            meta: e.meta,
          });
          break;
        case 'suspect':
        case 'dead':
          // A remote death is only a suspicion here: the member gets a chance to
          // refute instead of a stale death spreading through every sync.
          this.onSuspect({
            type: MsgType.Suspect,
            name: e.name,
            incarnation: e.incarnation,
            from: this.name,
          });
          break;
        case 'left':
          this.onDead({
            type: MsgType.Dead,
            name: e.name,
            incarnation: e.incarnation,
            from: e.name,
          });
          break;
      }
    }
  }

  private reapTick(): void {
    this.timers.set('reap', '', this.now + this.config.deadReapMs / 8);
    const cutoff = this.now - this.config.deadReapMs;
    for (let i = this.list.length - 1; i >= 0; i--) {
      const m = this.list[i] as Member;
      if ((m.status === 'dead' || m.status === 'left') && m.since <= cutoff && m !== this.self) {
        this.removeMember(m);
      }
    }
  }

  private enqueue(key: string, m: Message): void {
    if (this.quiet && m.type !== MsgType.Alive) {
      this.queue.push(key, encodeMessage(m));
      return;
    }
    if (this.quiet && (m as { name?: string }).name !== this.name) return;
    this.queue.push(key, encodeMessage(m));
  }

  private rememberUser(key: string): void {
    this.userSeen.add(key);
    this.userSeenOrder.push(key);
    if (this.userSeenOrder.length > this.config.userDedupSize) {
      const old = this.userSeenOrder.shift() as string;
      this.userSeen.delete(old);
    }
  }

  /** Room for messages in one packet, after encryption overhead and the array header. */
  private packetBudget(): number {
    return this.config.maxPacketSize - this.guard.overhead - PACKET_HEADER_ROOM;
  }

  /**
   * Sends `primary` messages to `to`, topped up with pending broadcasts. Only
   * packets to a member chosen at random (probe pings, gossip rounds) count
   * towards a broadcast's retransmit limit: infection-style spreading reaches
   * everyone only if its copies go to random members, and replies (acks,
   * nacks, relays) go to members already busy with the same news. Without
   * this, a refutation could spend its whole budget on the acks a starved
   * member sends when it wakes, and a suspecter that got none of them would
   * declare a live member dead.
   */
  private sendPacket(to: string, primary: Uint8Array[], randomTarget = false): void {
    let used = 0;
    for (const p of primary) used += p.length;
    const limit = retransmitLimit(this.config.retransmitMult, this.liveCount);
    const extra = this.queue.take(this.packetBudget() - used, limit, 0, 4_000, randomTarget);
    if (primary.length + extra.length === 0) return;
    const w = this.writer;
    w.reset();
    w.arrayHeader(primary.length + extra.length);
    for (const p of primary) w.raw(p);
    for (const e of extra) w.raw(e);
    const data = this.guard.seal(w.bytes());
    this.stats.packetsSent++;
    this.stats.bytesSent += data.length;
    this.out.push({ kind: 'packet', to, data });
  }

  private openStream(to: string, body: Uint8Array, s: PendingStream): number | undefined {
    if (this.streams.size >= MAX_PENDING_STREAMS) return undefined;
    const id = this.streamSeq++;
    this.streams.set(id, s);
    this.stats.streamsOpened++;
    this.out.push({ kind: 'stream', id, to, data: this.guard.seal(body) });
    return id;
  }

  // ---------------------------------------------------------------- members

  private addMember(
    name: string,
    addr: string,
    meta: Uint8Array,
    incarnation: number,
    status: MemberStatus,
  ): Member {
    const m: Member = {
      name,
      addr,
      meta,
      incarnation,
      status,
      since: this.now,
      suspicion: undefined,
      index: this.list.length,
      correctedAt: Number.NEGATIVE_INFINITY,
    };
    this.byName.set(name, m);
    this.list.push(m);
    if (this.self !== undefined && (status === 'alive' || status === 'suspect')) this.liveCount++;
    return m;
  }

  private removeMember(m: Member): void {
    this.clearSuspicion(m);
    this.byName.delete(m.name);
    const last = this.list.pop() as Member;
    if (last !== m) {
      this.list[m.index] = last;
      last.index = m.index;
    }
  }

  private setStatus(m: Member, status: MemberStatus): void {
    const wasLive = m.status === 'alive' || m.status === 'suspect';
    const isLive = status === 'alive' || status === 'suspect';
    if (wasLive && !isLive) this.liveCount--;
    if (!wasLive && isLive) this.liveCount++;
    if (m.status !== status) m.since = this.now;
    m.status = status;
  }

  /** A new member gets a random slot in the rest of this round, so it is probed soon. */
  private insertIntoProbeOrder(name: string): void {
    // Append, then swap with a random not-yet-probed slot: O(1), still uniform.
    const order = this.probeOrder;
    order.push(name);
    const lo = this.probeIndex;
    const at = lo + Math.floor(this.random() * (order.length - lo));
    const last = order.length - 1;
    order[last] = order[at] as string;
    order[at] = name;
  }

  /** Up to `k` distinct random members (never this one) accepted by `ok`. */
  private randomMembers(k: number, ok: (m: Member) => boolean): Member[] {
    const out: Member[] = [];
    const n = this.list.length;
    if (n <= 1 || k <= 0) return out;
    // Random probing first (cheap in large clusters), then a scan as a fallback.
    for (let tries = 0; tries < 3 * k + 6 && out.length < k; tries++) {
      const m = this.list[Math.floor(this.random() * n)] as Member;
      if (m !== this.self && !out.includes(m) && ok(m)) out.push(m);
    }
    if (out.length < k) {
      const rest = this.list.filter((m) => m !== this.self && !out.includes(m) && ok(m));
      while (out.length < k && rest.length > 0) {
        const i = Math.floor(this.random() * rest.length);
        out.push(rest[i] as Member);
        rest[i] = rest[rest.length - 1] as Member;
        rest.pop();
      }
    }
    return out;
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) % SEQ_MOD;
    return this.seq;
  }

  private emit(type: MembershipEventType, m: Member, from: string): void {
    this.emitRaw({ type, member: info(m), from });
  }

  private emitRaw(event: GossipEvent): void {
    this.out.push({ kind: 'event', event });
  }
}

function info(m: Member): MemberInfo {
  return {
    name: m.name,
    addr: m.addr,
    meta: m.meta,
    incarnation: m.incarnation,
    status: m.status,
  };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
