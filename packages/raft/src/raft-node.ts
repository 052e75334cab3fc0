import { EventEmitter } from 'node:events';
import { type Codec, defaultCodec } from '@switchyard/codec';
import { SwitchyardError } from '@switchyard/stream';
import { decodeConfChange, isVoter } from './conf-change.js';
import { failedReply, refusedReply, replyError, transportError } from './proposal-forwarding.js';
import { RaftCore, type RaftCoreOptions, type RaftStatus, type Ready } from './raft-core.js';
import { stageTrace } from './stage-trace.js';
import type { RaftStorage } from './storage.js';
import type { ForwardReply, Transport } from './transport.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  Role,
  SnapshotMeta,
} from './types.js';

/** Readies in flight to disk at once: overlaps applying one batch with syncing the next. */
const MAX_OUTSTANDING = 4;

/** The application's replicated state: deterministic, fed committed commands in log order. */
export interface StateMachine<C = unknown, R = unknown, Q = unknown, A = unknown> {
  /** Applies one committed command. Must be deterministic; a throw is the command's (deterministic) failure. */
  apply(command: C, meta: { index: number; term: number }): R;
  /** Answers a read against the current state. */
  query(query: Q): A | Promise<A>;
  /** Serialises the state as of the last applied command (synchronously: no apply can interleave). */
  snapshot(): Uint8Array;
  /** Replaces the state with a snapshot's. */
  restore(data: Uint8Array): void;
}

export type ReadConsistency = 'linearizable' | 'lease' | 'stale';

export interface RaftNodeOptions<C = unknown, R = unknown, Q = unknown, A = unknown> {
  readonly id: NodeId;
  /**
   * The founding voters. A node whose storage is empty and that is listed
   * here bootstraps the cluster with exactly this list (every founder must get
   * the same one). A node joining later passes `[]` and is added by the leader.
   */
  readonly peers: readonly NodeId[];
  readonly storage: RaftStorage;
  readonly stateMachine: StateMachine<C, R, Q, A>;
  readonly transport: Transport;
  /** Milliseconds per Raft tick. Default 50. Election timeout = electionTick × tickMs, randomized up to 2×. */
  readonly tickMs?: number;
  /** Default deadline of propose/read/membership calls, ms. Default 5000. */
  readonly defaultTimeout?: number;
  /** Applied entries past the last snapshot that trigger a new one. Default 8192. */
  readonly snapshotThreshold?: number;
  /** Entries kept behind a snapshot for followers that are only slightly behind. Default 1024. */
  readonly snapshotTrailing?: number;
  /** Proposals and reads waiting at once; beyond it calls fail with RESOURCE_EXHAUSTED. Default 65536. */
  readonly maxPending?: number;
  /**
   * A follower that knows the leader forwards `propose` to it over the
   * transport and returns the leader's result (when the transport supports
   * it). Default true; false answers NOT_LEADER with a hint instead.
   */
  readonly forwardProposals?: boolean;
  /** Forwarded proposals in flight at once; beyond it RESOURCE_EXHAUSTED. Default 1024. */
  readonly maxForwarded?: number;
  /** Codec for commands (and, when forwarding, their results). Default msgpackr. */
  readonly codec?: Codec;
  /** Options of the pure core (election/heartbeat ticks, pre-vote, check-quorum, leases, flow control). */
  readonly raft?: Omit<RaftCoreOptions, 'id' | 'random' | 'forwardProposals'>;
  /** Randomness for election timeouts. Default Math.random. */
  readonly random?: () => number;
  /**
   * An idle follower flushes its writes on the event loop (see SyncOptions):
   * lower commit latency, but the loop is blocked for one fdatasync
   * (~0.3–1 ms) per commit. Default true; it applies only while this is the
   * only Raft node running in the process. Turn it off when the process also
   * serves latency-sensitive work.
   */
  readonly inlineFollowerSync?: boolean;
}

/** Raft nodes started and not closed in this process (inline flushes need the loop to themselves). */
let runningNodes = 0;

export interface RaftNodeStatus extends Omit<RaftStatus, 'progress'> {
  readonly progress: Readonly<Record<NodeId, { match: number; next: number; state: string }>>;
}

export interface RaftNodeEvents {
  leader: [leader: NodeId | null, term: number];
  role: [role: Role, term: number];
  membership: [conf: ConfState];
  snapshot: [index: number];
  error: [error: Error];
}

interface PendingProposal {
  readonly term: number;
  readonly deadline: number;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

interface PendingRead {
  readonly query: unknown;
  readonly deadline: number;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: Error) => void;
}

interface Waiter {
  readonly deadline: number;
  readonly check: () => boolean;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/**
 * A Raft node: the pure core driven over real storage, a transport and a
 * state machine. One loop processes Ready batches in order: send the
 * leader's appends, persist entries and hard state with one sync (group
 * commit), send the messages that promise durability, apply, advance.
 */
export class RaftNode<
  C = unknown,
  R = unknown,
  Q = unknown,
  A = unknown,
> extends EventEmitter<RaftNodeEvents> {
  readonly id: NodeId;
  private core!: RaftCore;
  private readonly opts: RaftNodeOptions<C, R, Q, A>;
  private readonly codec: Codec;
  private readonly tickMs: number;
  private readonly defaultTimeout: number;
  private readonly maxPending: number;
  private readonly snapshotThreshold: number;
  private readonly snapshotTrailing: number;
  private ticker: NodeJS.Timeout | null = null;
  private loopScheduled = false;
  private loopRunning = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private applied = 0;
  private snapshotIndex = 0;
  private snapshotting = false;
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly readsQueued: PendingRead[] = [];
  private readonly readsQueuedLease: PendingRead[] = [];
  private readonly readsInFlight = new Map<string, PendingRead[]>();
  private readonly readsWaitingApply: { index: number; reads: PendingRead[] }[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly snapshotsIn = new Map<string, Uint8Array>();
  private readSeq = 0;
  private readonly forwardProposals: boolean;
  private readonly maxForwarded: number;
  /** Proposals this node forwarded that await the leader's answer (bounded by maxForwarded). */
  private forwarding = 0;
  /** Errors thrown by the state machine: a known outcome when a forwarded proposal fails with one. */
  private readonly applyFailures = new WeakSet<Error>();
  private lastSoft: { leader: NodeId | null; role: Role } = { leader: null, role: 'follower' };
  private loopIdle: Promise<void> = Promise.resolve();
  private loopIdleResolve: (() => void) | null = null;
  /** Readies whose writes are not yet durable (pipelined; bounded). */
  private outstanding = 0;
  /** Completes when every outstanding Ready has been made durable and advanced. */
  private persisted: Promise<void> = Promise.resolve();
  private compactPending: SnapshotMeta | null = null;
  private syncedTerm = -1;
  private syncedVote: NodeId | null = null;
  /** The newest hard state not yet written: only its commit index changed (saved with the next write or at close). */
  private unsavedHardState: HardState | null = null;

  constructor(options: RaftNodeOptions<C, R, Q, A>) {
    super();
    this.opts = options;
    this.id = options.id;
    this.codec = options.codec ?? defaultCodec;
    this.tickMs = options.tickMs ?? 50;
    this.defaultTimeout = options.defaultTimeout ?? 5000;
    this.maxPending = options.maxPending ?? 65536;
    this.snapshotThreshold = options.snapshotThreshold ?? 8192;
    this.snapshotTrailing = options.snapshotTrailing ?? 1024;
    this.forwardProposals = options.forwardProposals ?? true;
    this.maxForwarded = options.maxForwarded ?? 1024;
  }

  /** Loads durable state, restores the state machine and starts ticking. */
  async start(): Promise<void> {
    const { storage, stateMachine, transport } = this.opts;
    const snap = await storage.snapshots.latest();
    const hardState = await storage.stable.load();
    let entries = await storage.log.load();
    if (snap) {
      stateMachine.restore(snap.data);
      this.applied = snap.meta.index;
      this.snapshotIndex = snap.meta.index;
      entries = entries.filter((e) => e.index > snap.meta.index);
      if (entries[0] && entries[0].index !== snap.meta.index + 1) entries = [];
    } else if (entries[0] && entries[0].index !== 1) {
      throw new SwitchyardError(
        'DATA_LOSS',
        `raft ${this.id}: log starts at ${entries[0].index} without a snapshot`,
      );
    }
    this.core = new RaftCore(
      {
        ...this.opts.raft,
        id: this.id,
        random: this.opts.random ?? Math.random,
        // The driver answers NOT_LEADER with a hint instead: clients retry
        // against the leader, and an answer always matches one log entry.
        forwardProposals: false,
      },
      {
        hardState: hardState ?? { term: 0, vote: null, commit: 0 },
        snapshot: snap?.meta ?? null,
        entries,
      },
    );
    const fresh = !snap && entries.length === 0 && (hardState?.term ?? 0) === 0;
    if (fresh && this.opts.peers.includes(this.id)) this.core.bootstrap(this.opts.peers);
    await transport.start({
      message: (m) => this.onMessage(m),
      snapshot: (m, data) => {
        if (m.snapshot) {
          // Bounded: only the newest offered snapshot is kept.
          this.snapshotsIn.clear();
          this.snapshotsIn.set(`${m.snapshot.index}/${m.snapshot.term}`, data);
        }
        this.onMessage(m);
      },
      propose: (_from, data, timeoutMs) => this.onForwarded(data, timeoutMs),
    });
    this.ticker = setInterval(() => this.onTick(), this.tickMs);
    runningNodes++;
    this.schedule();
  }

  // ------------------------------------------------------------ public API

  /**
   * Replicates a command; resolves with the state machine's result once
   * applied. On a follower that knows the leader the command is forwarded to
   * it (unless `forwardProposals: false`) and the leader's result returned;
   * see README "Proposal forwarding" for the errors.
   */
  propose(command: C, options: { timeout?: number } = {}): Promise<R> {
    if (this.closed) return Promise.reject(this.shutdownError());
    // Copied: the codec may return a view of a shared block, and entries live until compaction.
    const data = this.codec.encode(command).slice();
    const timeout = options.timeout ?? this.defaultTimeout;
    const r = this.append(data, timeout);
    if ('index' in r) return r.done as Promise<R>;
    if (r.forwardTo !== null && this.canForward()) return this.forward(r.forwardTo, data, timeout);
    return Promise.reject(r.error);
  }

  /**
   * Appends an encoded command if this node leads. Returns the pending
   * result, or the refusal (nothing appended) and, on a follower that knows
   * the leader, where the command could be forwarded.
   */
  private append(
    data: Uint8Array,
    timeout: number,
  ):
    | { index: number; done: Promise<unknown> }
    | { error: SwitchyardError; forwardTo: NodeId | null } {
    if (this.proposals.size >= this.maxPending) {
      return {
        error: new SwitchyardError('RESOURCE_EXHAUSTED', 'too many pending proposals'),
        forwardTo: null,
      };
    }
    const r = this.core.propose(data);
    if (!r.ok) {
      return {
        error: this.refusal(r.reason, r.leader),
        forwardTo: r.reason === 'notLeader' ? r.leader : null,
      };
    }
    if (!('index' in r)) return { error: this.notLeader(r.forwardedTo), forwardTo: null };
    const index = r.index;
    stageTrace?.mark(this.id, 'propose', index);
    this.schedule();
    // An older proposal at this index (from an earlier term of ours) was overwritten.
    this.proposals
      .get(index)
      ?.reject(
        new SwitchyardError('ABORTED', 'proposal overwritten by a new leader; safe to retry'),
      );
    const done = new Promise<unknown>((resolve, reject) => {
      this.proposals.set(index, {
        term: r.term,
        deadline: Date.now() + timeout,
        resolve,
        reject,
      });
    });
    return { index, done };
  }

  private canForward(): boolean {
    return this.forwardProposals && this.opts.transport.forward !== undefined;
  }

  /**
   * Follower side: sends the command to the leader and answers with its
   * result. Never retried here: if the leader may have appended it, the
   * caller gets UNKNOWN or DEADLINE_EXCEEDED (outcome unknown).
   */
  private async forward(leader: NodeId, data: Uint8Array, timeout: number): Promise<R> {
    if (this.forwarding >= this.maxForwarded) {
      throw new SwitchyardError('RESOURCE_EXHAUSTED', 'too many forwarded proposals in flight', {
        data: { leaderHint: leader },
      });
    }
    const forward = this.opts.transport.forward as NonNullable<Transport['forward']>;
    this.forwarding++;
    let reply: ForwardReply;
    try {
      reply = await forward.call(this.opts.transport, leader, data, timeout);
    } catch (err) {
      throw transportError(err, leader, this.closed ? null : this.core.currentLeader);
    } finally {
      this.forwarding--;
    }
    if (!reply.ok) throw replyError(reply);
    return this.codec.decode(reply.result) as R;
  }

  /** Leader side of forwarding: one hop only (a non-leader refuses, it never forwards on). */
  private async onForwarded(data: Uint8Array, timeout: number): Promise<ForwardReply> {
    if (this.closed) return refusedReply(this.shutdownError(), null);
    const r = this.append(data, Math.max(0, Math.min(timeout, this.defaultTimeout * 10)));
    if (!('index' in r)) return refusedReply(r.error, this.core.currentLeader);
    try {
      const result = await r.done;
      return { ok: true, result: this.codec.encode(result).slice() };
    } catch (err) {
      const e = SwitchyardError.from(err);
      const known = e.code === 'ABORTED' || this.applyFailures.has(e);
      return failedReply(e, known, this.closed ? null : this.core.currentLeader);
    }
  }

  /**
   * Reads from the state machine. 'linearizable' (default): ReadIndex — the
   * leader confirms it still leads with a heartbeat round, this node waits
   * until it has applied that far (works on followers too). 'lease': the
   * leader skips the round while its lease holds (needs `raft.leaseReads`;
   * assumes bounded clock drift and no long process pauses). 'stale': this
   * node's state, now, possibly behind.
   */
  read(query: Q, options: { consistency?: ReadConsistency; timeout?: number } = {}): Promise<A> {
    if (this.closed) return Promise.reject(this.shutdownError());
    const consistency = options.consistency ?? 'linearizable';
    if (consistency === 'stale') return Promise.resolve(this.opts.stateMachine.query(query));
    if (this.core.currentLeader === null) return Promise.reject(this.notLeader(null));
    if (this.pendingReads() >= this.maxPending) {
      return Promise.reject(new SwitchyardError('RESOURCE_EXHAUSTED', 'too many pending reads'));
    }
    return new Promise<A>((resolve, reject) => {
      const read: PendingRead = {
        query,
        deadline: Date.now() + (options.timeout ?? this.defaultTimeout),
        resolve: resolve as (v: unknown) => void,
        reject,
      };
      // Reads queued in the same turn share one ReadIndex round.
      (consistency === 'lease' ? this.readsQueuedLease : this.readsQueued).push(read);
      this.schedule();
    });
  }

  /** Adds a non-voting member that receives the log (a learner). */
  addLearner(id: NodeId, address?: string, options: { timeout?: number } = {}): Promise<void> {
    return this.changeMembership(
      { changes: [{ type: 'addLearner', node: id, ...(address ? { address } : {}) }] },
      options,
    );
  }

  /**
   * Adds a voter. A node that is not yet a member is first added as a learner
   * and promoted once it has caught up, so the quorum never waits on an empty log.
   */
  async addVoter(id: NodeId, address?: string, options: { timeout?: number } = {}): Promise<void> {
    const deadline = Date.now() + (options.timeout ?? this.defaultTimeout * 4);
    const conf = this.core.config;
    if (isVoter(conf, id)) return;
    if (!conf.learners.includes(id))
      await this.addLearner(id, address, { timeout: deadline - Date.now() });
    await this.waitFor(
      () => {
        const st = this.core.status();
        const pr = st.progress.get(id);
        return st.role === 'leader' && pr !== undefined && pr.match >= st.commit;
      },
      deadline - Date.now(),
      'learner to catch up',
    );
    await this.changeMembership(
      { changes: [{ type: 'addVoter', node: id }] },
      { timeout: deadline - Date.now() },
    );
  }

  removeNode(id: NodeId, options: { timeout?: number } = {}): Promise<void> {
    return this.changeMembership({ changes: [{ type: 'removeNode', node: id }] }, options);
  }

  /**
   * Any membership change. One voter at a time applies directly; more goes
   * through joint consensus, left automatically unless `transition: 'joint'`.
   * Resolves once the (final) configuration is applied here.
   */
  async changeMembership(cc: ConfChange, options: { timeout?: number } = {}): Promise<void> {
    if (this.closed) throw this.shutdownError();
    const r = this.core.proposeConfChange(cc);
    if (!r.ok) throw this.refusal(r.reason, r.leader, 'detail' in r ? r.detail : undefined);
    if (!('index' in r)) throw this.notLeader(r.forwardedTo);
    this.schedule();
    const index = r.index;
    const auto = cc.transition !== 'joint';
    await this.waitFor(
      () =>
        this.applied >= index &&
        !(auto && this.core.config.votersOutgoing.length > 0 && this.core.config.autoLeave),
      options.timeout ?? this.defaultTimeout,
      'membership change to apply',
    );
    if (this.core.log.term(index) !== undefined && this.core.log.term(index) !== r.term) {
      throw new SwitchyardError('ABORTED', 'membership change was overwritten by a new leader');
    }
  }

  /** Hands leadership to `target` (default: the most up-to-date follower); resolves once it leads. */
  async transferLeadership(target?: NodeId, options: { timeout?: number } = {}): Promise<void> {
    if (this.closed) throw this.shutdownError();
    const st = this.core.status();
    let to = target;
    if (to === undefined) {
      let best = -1;
      for (const [id, pr] of st.progress) {
        if (id !== this.id && isVoter(st.conf, id) && pr.match > best) {
          best = pr.match;
          to = id;
        }
      }
    }
    if (to === undefined || !this.core.transferLeader(to)) {
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `cannot transfer leadership to ${String(to)}`,
        {
          data: { leaderHint: this.core.currentLeader },
        },
      );
    }
    this.schedule();
    const want = to;
    await this.waitFor(
      () => this.core.currentLeader === want,
      options.timeout ?? this.defaultTimeout,
      'leader transfer',
    );
  }

  /** Starts an election now (operators, tests). */
  campaign(): void {
    this.core.campaign();
    this.schedule();
  }

  status(): RaftNodeStatus {
    const s = this.core.status();
    const progress: Record<NodeId, { match: number; next: number; state: string }> = {};
    for (const [id, p] of s.progress)
      progress[id] = { match: p.match, next: p.next, state: p.state };
    return { ...s, applied: this.applied, progress };
  }

  get leader(): NodeId | null {
    return this.core.currentLeader;
  }

  get isLeader(): boolean {
    return this.core.currentRole === 'leader';
  }

  /** Stops the node: pending calls fail with UNAVAILABLE; storage and transport are closed. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      if (this.ticker) {
        clearInterval(this.ticker);
        runningNodes--;
      }
      this.ticker = null;
      await this.loopIdle;
      await this.persisted;
      if (this.unsavedHardState) {
        this.opts.storage.stable.save(this.unsavedHardState);
        this.unsavedHardState = null;
        await this.opts.storage.stable.sync().catch(() => {});
      }
      const err = this.shutdownError();
      this.failAll(err);
      await this.opts.transport.close();
      await this.opts.storage.log.close();
      await this.opts.storage.stable.close();
      await this.opts.storage.snapshots.close();
    })();
    return this.closing;
  }

  // ------------------------------------------------------------ the loop

  private onMessage(m: Message): void {
    if (this.closed) return;
    if (stageTrace) this.traceMessage('recv', m);
    try {
      this.core.step(m);
    } catch (err) {
      this.fatal(err);
      return;
    }
    this.schedule();
  }

  private onTick(): void {
    this.core.tick();
    this.expire(Date.now());
    this.schedule();
  }

  private schedule(): void {
    if (this.loopScheduled || this.closed) return;
    this.loopScheduled = true;
    // setImmediate: proposals and messages of this turn join one Ready batch.
    setImmediate(() => {
      this.loopScheduled = false;
      if (!this.loopRunning) void this.loop();
    });
  }

  private async loop(): Promise<void> {
    this.loopRunning = true;
    this.loopIdle = new Promise((r) => {
      this.loopIdleResolve = r;
    });
    try {
      for (;;) {
        this.issueReads();
        if (!this.core.hasReady()) break;
        if (this.outstanding >= MAX_OUTSTANDING) {
          await this.persisted;
          continue;
        }
        const rd = this.core.ready();
        if (rd.snapshot) {
          // Installing a snapshot replaces the state: let earlier writes land first.
          await this.persisted;
          await this.installSnapshot(rd);
        }
        this.processReady(rd);
        if (this.closed) break;
      }
    } catch (err) {
      this.fatal(err);
    } finally {
      this.loopRunning = false;
      this.loopIdleResolve?.();
    }
  }

  private async installSnapshot(rd: Ready): Promise<void> {
    const meta = rd.snapshot as SnapshotMeta;
    const { storage, stateMachine } = this.opts;
    const key = `${meta.index}/${meta.term}`;
    const data = this.snapshotsIn.get(key);
    if (!data) throw new Error(`snapshot ${key} data missing`);
    this.snapshotsIn.delete(key);
    await storage.snapshots.save(meta, data);
    storage.log.clear();
    stateMachine.restore(data);
    this.applied = meta.index;
    this.snapshotIndex = meta.index;
    this.failProposalsUpTo(meta.index);
  }

  /**
   * One Ready: the leader's appends go out at once (replication overlaps our
   * own write); entries and hard state are written and one sync is queued
   * behind the previous ones (group commit); committed entries are applied
   * now (they are durable on a quorum already); votes and acknowledgements
   * go out, and the core advances, only once this Ready's sync completed.
   */
  private processReady(rd: Ready): void {
    const { storage } = this.opts;
    if (rd.softState) this.onSoftState(rd.softState.leader, rd.softState.role);
    if (stageTrace) for (const m of rd.messages) this.traceMessage('send', m);
    this.sendAll(rd.messages);
    let wrote = rd.snapshot !== null;
    if (rd.entries.length > 0) {
      storage.log.append(rd.entries);
      wrote = true;
    }
    if (rd.hardState) {
      // Term and vote must be durable before we answer anyone; the commit
      // index need not be (a restart relearns it from the leader), so a
      // commit-only change is held back and rides along with the next write
      // instead of costing a transaction and an fsync of its own (which the
      // next proposal's sync would queue behind).
      const { term, vote } = rd.hardState;
      if (term !== this.syncedTerm || vote !== this.syncedVote) wrote = true;
      this.syncedTerm = term;
      this.syncedVote = vote;
      this.unsavedHardState = rd.hardState;
    }
    if (wrote && this.unsavedHardState) {
      storage.stable.save(this.unsavedHardState);
      this.unsavedHardState = null;
    }
    // An idle follower's acknowledgement waits for this write and nothing
    // else, so it may flush inline (see SyncOptions). A leader flushes in the
    // background, and so does a follower with a flush already in flight: it is
    // streaming, and blocking would stall the next batch (measured: saturation
    // throughput fell ~20% when every follower flush was inline). So does a
    // node sharing its process with other Raft nodes: it would block them.
    const sync = {
      inline:
        this.opts.inlineFollowerSync !== false &&
        runningNodes === 1 &&
        !this.isLeader &&
        this.outstanding === 0,
    };
    const durable = wrote ? Promise.all([storage.log.sync(sync), storage.stable.sync(sync)]) : null;
    for (const e of rd.committedEntries) this.applyEntry(e);
    for (const rs of rd.readStates) {
      const reads = this.readsInFlight.get(rs.context);
      if (!reads) continue;
      this.readsInFlight.delete(rs.context);
      this.readsWaitingApply.push({ index: rs.index, reads });
    }
    this.serveReads();
    if (this.applied - this.snapshotIndex >= this.snapshotThreshold) this.takeSnapshot();
    this.outstanding++;
    this.persisted = this.persisted
      .then(() => durable)
      .then(() => {
        this.outstanding--;
        if (this.closed) return;
        const last = rd.entries[rd.entries.length - 1];
        if (stageTrace && last) stageTrace.mark(this.id, 'durable', last.index);
        if (stageTrace) for (const m of rd.persistedMessages) this.traceMessage('send', m);
        this.sendAll(rd.persistedMessages);
        this.core.advance();
        this.checkWaiters();
        this.maybeCompact();
        this.schedule();
      })
      .catch((err: unknown) => this.fatal(err));
  }

  /** RAFT_TRACE only: appends carrying entries (by last index) and their acknowledgements. */
  private traceMessage(dir: 'send' | 'recv', m: Message): void {
    const last = m.entries[m.entries.length - 1];
    if (m.type === 'app' && last) stageTrace?.mark(this.id, `${dir}-app`, last.index);
    else if (m.type === 'appResp' && !m.reject)
      stageTrace?.mark(this.id, `${dir}-ack-${m.from}`, m.index);
  }

  private sendAll(messages: readonly Message[]): void {
    if (messages.length === 0) return;
    const plain: Message[] = [];
    for (const m of messages) {
      if (m.type === 'snap') this.sendSnapshot(m);
      else plain.push(m);
    }
    if (plain.length > 0) this.opts.transport.send(plain);
  }

  private sendSnapshot(m: Message): void {
    void this.opts.storage.snapshots.latest().then(
      (snap) => {
        if (!snap || !m.snapshot || snap.meta.index !== m.snapshot.index) {
          this.core.reportSnapshot(m.to, false);
          return;
        }
        this.opts.transport.sendSnapshot(m, snap.data, (ok) => {
          this.core.reportSnapshot(m.to, ok);
          this.schedule();
        });
      },
      () => this.core.reportSnapshot(m.to, false),
    );
  }

  private applyEntry(e: Entry): void {
    if (e.index <= this.applied) return;
    this.applied = e.index;
    const pending = this.proposals.get(e.index);
    if (pending) this.proposals.delete(e.index);
    if (e.kind === 'config') {
      this.onConfigApplied(e);
      pending?.resolve(undefined);
      return;
    }
    if (e.data.byteLength === 0) {
      // A leader's no-op: nothing to apply. A proposal waiting on this index was overwritten.
      pending?.reject(
        new SwitchyardError('ABORTED', 'proposal overwritten by a new leader; safe to retry'),
      );
      return;
    }
    let result: unknown;
    let failure: unknown = null;
    try {
      result = this.opts.stateMachine.apply(this.codec.decode(e.data) as C, {
        index: e.index,
        term: e.term,
      });
    } catch (err) {
      failure = err;
    }
    const failureError = failure === null ? null : SwitchyardError.from(failure);
    if (failureError) this.applyFailures.add(failureError);
    if (!pending) return;
    stageTrace?.mark(this.id, 'applied', e.index);
    if (pending.term !== e.term) {
      pending.reject(
        new SwitchyardError('ABORTED', 'proposal overwritten by a new leader; safe to retry'),
      );
    } else if (failureError !== null) {
      pending.reject(failureError);
    } else {
      pending.resolve(result);
    }
  }

  private onConfigApplied(e: Entry): void {
    const { transport } = this.opts;
    try {
      const cc = decodeConfChange(e.data);
      for (const ch of cc.changes) {
        if (ch.type === 'removeNode') transport.removePeer?.(ch.node);
        else if (ch.address) transport.addPeer?.(ch.node, ch.address);
      }
    } catch {
      // Malformed config entries are skipped by the core as well.
    }
    this.emit('membership', this.core.config);
  }

  private onSoftState(leader: NodeId | null, role: Role): void {
    const term = this.core.currentTerm;
    if (leader !== this.lastSoft.leader) this.emit('leader', leader, term);
    if (role !== this.lastSoft.role) {
      this.emit('role', role, term);
      if (this.lastSoft.role === 'leader') {
        // ReadIndex rounds of the old term will never complete.
        const err = this.notLeader(leader);
        for (const reads of this.readsInFlight.values()) for (const r of reads) r.reject(err);
        this.readsInFlight.clear();
      }
    }
    this.lastSoft = { leader, role };
  }

  private issueReads(): void {
    if (this.readsQueued.length === 0 && this.readsQueuedLease.length === 0) return;
    for (const [queue, lease] of [
      [this.readsQueued, false],
      [this.readsQueuedLease, true],
    ] as const) {
      if (queue.length === 0) continue;
      const ctx = `${this.id}:${++this.readSeq}`;
      const batch = queue.splice(0, queue.length);
      if (this.core.readIndex(ctx, lease)) this.readsInFlight.set(ctx, batch);
      else {
        const err = this.notLeader(this.core.currentLeader);
        for (const r of batch) r.reject(err);
      }
    }
  }

  private serveReads(): void {
    if (this.readsWaitingApply.length === 0) return;
    const still: { index: number; reads: PendingRead[] }[] = [];
    for (const w of this.readsWaitingApply) {
      if (w.index > this.applied) {
        still.push(w);
        continue;
      }
      for (const r of w.reads) {
        try {
          Promise.resolve(this.opts.stateMachine.query(r.query as Q)).then(
            r.resolve,
            (e: unknown) => r.reject(SwitchyardError.from(e)),
          );
        } catch (e) {
          r.reject(SwitchyardError.from(e));
        }
      }
    }
    this.readsWaitingApply.length = 0;
    this.readsWaitingApply.push(...still);
  }

  private takeSnapshot(): void {
    if (this.snapshotting || this.compactPending) return;
    this.snapshotting = true;
    // Taken synchronously right after applying a Ready: exactly the applied state.
    const meta = this.core.snapshotMeta();
    const data = this.opts.stateMachine.snapshot();
    this.opts.storage.snapshots.save(meta, data).then(
      () => {
        this.snapshotting = false;
        if (this.closed || meta.index <= this.snapshotIndex) return;
        this.snapshotIndex = meta.index;
        this.compactPending = meta;
        this.maybeCompact();
      },
      (err: unknown) => {
        this.snapshotting = false;
        this.emit('error', err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  /** Compacts behind a durable snapshot once the core has advanced past it. */
  private maybeCompact(): void {
    const meta = this.compactPending;
    if (!meta || !this.core.canCompact(meta.index)) return;
    this.compactPending = null;
    const compactTo = Math.max(0, meta.index - this.snapshotTrailing);
    this.core.compact(meta, compactTo);
    this.opts.storage.log.compact(this.core.log.snapshotIndex);
    this.emit('snapshot', meta.index);
  }

  // ------------------------------------------------------------ deadlines and errors

  private pendingReads(): number {
    let n = this.readsQueued.length + this.readsQueuedLease.length;
    for (const b of this.readsInFlight.values()) n += b.length;
    for (const w of this.readsWaitingApply) n += w.reads.length;
    return n;
  }

  private expire(now: number): void {
    const timeout = (what: string) => new SwitchyardError('DEADLINE_EXCEEDED', `${what} timed out`);
    for (const [index, p] of this.proposals) {
      if (p.deadline <= now) {
        this.proposals.delete(index);
        // The entry may still commit later: the outcome is unknown.
        p.reject(timeout('proposal'));
      }
    }
    const sweep = (reads: PendingRead[]) => {
      const keep = reads.filter((r) => {
        if (r.deadline > now) return true;
        r.reject(timeout('read'));
        return false;
      });
      reads.length = 0;
      reads.push(...keep);
    };
    for (const [ctx, reads] of this.readsInFlight) {
      sweep(reads);
      if (reads.length === 0) this.readsInFlight.delete(ctx);
    }
    for (const w of this.readsWaitingApply) sweep(w.reads);
    const waiting = this.readsWaitingApply.filter((w) => w.reads.length > 0);
    this.readsWaitingApply.length = 0;
    this.readsWaitingApply.push(...waiting);
    for (const w of this.waiters) {
      if (w.deadline <= now) {
        this.waiters.delete(w);
        w.reject(timeout('operation'));
      }
    }
  }

  private waitFor(check: () => boolean, timeout: number, what: string): Promise<void> {
    if (check()) return Promise.resolve();
    if (this.closed) return Promise.reject(this.shutdownError());
    if (timeout <= 0)
      return Promise.reject(new SwitchyardError('DEADLINE_EXCEEDED', `${what} timed out`));
    return new Promise((resolve, reject) => {
      this.waiters.add({ deadline: Date.now() + timeout, check, resolve, reject });
    });
  }

  private checkWaiters(): void {
    for (const w of this.waiters) {
      if (w.check()) {
        this.waiters.delete(w);
        w.resolve();
      }
    }
  }

  private failProposalsUpTo(index: number): void {
    for (const [i, p] of this.proposals) {
      if (i <= index) {
        this.proposals.delete(i);
        // Covered by a snapshot we did not apply entry by entry: outcome unknown here.
        p.reject(
          new SwitchyardError('UNAVAILABLE', 'replaced by a snapshot before the result was known'),
        );
      }
    }
  }

  private failAll(err: Error): void {
    for (const p of this.proposals.values()) p.reject(err);
    this.proposals.clear();
    for (const r of this.readsQueued.splice(0)) r.reject(err);
    for (const r of this.readsQueuedLease.splice(0)) r.reject(err);
    for (const reads of this.readsInFlight.values()) for (const r of reads) r.reject(err);
    this.readsInFlight.clear();
    for (const w of this.readsWaitingApply.splice(0)) for (const r of w.reads) r.reject(err);
    for (const w of this.waiters) w.reject(err);
    this.waiters.clear();
  }

  private fatal(err: unknown): void {
    // A broken invariant or a storage failure: stop rather than risk divergence.
    const e = err instanceof Error ? err : new Error(String(err));
    this.emit('error', e);
    void this.close();
  }

  private shutdownError(): SwitchyardError {
    return new SwitchyardError('UNAVAILABLE', `raft node ${this.id} is shutting down`);
  }

  private notLeader(leader: NodeId | null): SwitchyardError {
    return new SwitchyardError(
      'NOT_LEADER',
      leader ? `not the leader; try ${leader}` : 'no leader known',
      {
        data: { leaderHint: leader },
      },
    );
  }

  private refusal(reason: string, leader: NodeId | null, detail?: string): SwitchyardError {
    switch (reason) {
      case 'noLeader':
      case 'notLeader':
        return this.notLeader(leader);
      case 'uncommittedFull':
        return new SwitchyardError('RESOURCE_EXHAUSTED', 'too many uncommitted bytes; retry later');
      case 'transferring':
        return new SwitchyardError('UNAVAILABLE', 'leadership transfer in progress; retry', {
          data: { leaderHint: leader },
        });
      case 'confPending':
        return new SwitchyardError(
          'FAILED_PRECONDITION',
          'another membership change is in progress',
        );
      default:
        return new SwitchyardError(
          'INVALID_ARGUMENT',
          `membership change refused: ${detail ?? reason}`,
        );
    }
  }
}

/** Creates and starts a Raft node. */
export async function createRaftNode<C = unknown, R = unknown, Q = unknown, A = unknown>(
  options: RaftNodeOptions<C, R, Q, A>,
): Promise<RaftNode<C, R, Q, A>> {
  const node = new RaftNode(options);
  await node.start();
  return node;
}
