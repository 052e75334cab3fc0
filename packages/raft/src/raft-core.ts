import {
  allMembers,
  applyConfChange,
  ConfChangeError,
  decodeConfChange,
  emptyConfState,
  encodeConfChange,
  isJoint,
  isVoter,
} from './conf-change.js';
import { Progress } from './progress.js';
import { quorumIndex, voteResult } from './quorum.js';
import { RaftInvariantError, RaftLog } from './raft-log.js';
import { ReadOnlyQueue } from './read-only.js';
import type {
  ConfChange,
  ConfState,
  Entry,
  EntryKind,
  HardState,
  Message,
  MessageType,
  NodeId,
  ReadState,
  Role,
  SnapshotMeta,
  SoftState,
} from './types.js';

export interface RaftCoreOptions {
  readonly id: NodeId;
  /** Ticks without hearing from a leader before campaigning; randomized in [n, 2n). Default 10. */
  readonly electionTick?: number;
  /** Ticks between leader heartbeats. Default 1. */
  readonly heartbeatTick?: number;
  /** Pre-vote (thesis §9.6): a rejoining node cannot disrupt a healthy leader. Default true. */
  readonly preVote?: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down. Default true. */
  readonly checkQuorum?: boolean;
  /** Serve ReadIndex from a time-based lease instead of a heartbeat round. Needs checkQuorum. Default false. */
  readonly leaseReads?: boolean;
  /** Ticks of the lease given up for clock drift between nodes. Default 2. */
  readonly leaseDriftTicks?: number;
  /** Payload bytes per append message (at least one entry). Default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Appends in flight per follower in replicate state. Default 256. */
  readonly maxInflight?: number;
  /** Payload bytes in flight per follower. Default 16 MiB. */
  readonly maxInflightBytes?: number;
  /** Proposals are refused while this many payload bytes are uncommitted. Default 64 MiB. */
  readonly maxUncommittedBytes?: number;
  /** Committed entries handed out per ready(). Default 16 MiB. */
  readonly maxApplyBytes?: number;
  /** Pending ReadIndex requests on a leader. Default 4096. */
  readonly maxPendingReads?: number;
  /** Followers forward proposals to the leader instead of refusing them. Default true. */
  readonly forwardProposals?: boolean;
  /** Uniform randomness in [0, 1): injected so simulations replay. */
  readonly random: () => number;
}

/** What a node restarts from: its durable state. */
export interface RaftRestoreState {
  readonly hardState: HardState;
  readonly snapshot: SnapshotMeta | null;
  /** Log entries after the snapshot, contiguous. */
  readonly entries: readonly Entry[];
}

/**
 * One batch of work for the driver. The contract (persist before send):
 *  1. `messages` may be sent at once, even before persisting: they are the
 *     leader's appends and heartbeats (thesis §10.2.1: the leader writes its
 *     log in parallel with replication and counts itself only once durable).
 *  2. Persist `snapshot`, then `entries` (overwriting any suffix from
 *     `entries[0].index`), then `hardState` — durably (fsync / `db.flushed`).
 *  3. Only then send `persistedMessages` (votes, acknowledgements: they
 *     promise durable state).
 *  4. Apply `committedEntries` in order, serve `readStates` once applied, then
 *     call `advance()`.
 * Pipelining: a driver may take the next ready() before advancing this one,
 * as long as it calls `advance()` once per Ready, in order, each only after
 * that Ready's writes are durable. `committedEntries` may then be applied as
 * soon as they are handed out: they are already durable on a quorum.
 */
export interface Ready {
  readonly softState: SoftState | null;
  readonly hardState: HardState | null;
  readonly snapshot: SnapshotMeta | null;
  readonly entries: readonly Entry[];
  readonly messages: readonly Message[];
  readonly persistedMessages: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | { readonly ok: true; readonly forwardedTo: NodeId }
  | {
      readonly ok: false;
      readonly reason:
        | 'noLeader'
        | 'notLeader'
        | 'transferring'
        | 'uncommittedFull'
        | 'confPending'
        | 'invalidConf';
      readonly leader: NodeId | null;
      readonly detail?: string;
    };

export interface RaftStatus {
  readonly id: NodeId;
  readonly term: number;
  readonly vote: NodeId | null;
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly commit: number;
  readonly applied: number;
  readonly lastIndex: number;
  readonly lastTerm: number;
  readonly firstIndex: number;
  readonly stable: number;
  readonly conf: ConfState;
  readonly leadTransferee: NodeId | null;
  readonly progress: ReadonlyMap<
    NodeId,
    { match: number; next: number; state: string; inflight: number; learner: boolean }
  >;
}

/** Sent without waiting for local persistence; everything else waits (see Ready). */
const IMMEDIATE: ReadonlySet<MessageType> = new Set<MessageType>([
  'app',
  'heartbeat',
  'snap',
  'timeoutNow',
  'prop',
  'readIndex',
  'readIndexResp',
  'transferLeader',
]);

/** Requests from a node to its leader that carry no term semantics. */
const LOCAL_FORWARDS: ReadonlySet<MessageType> = new Set<MessageType>([
  'prop',
  'readIndex',
  'transferLeader',
]);

const EMPTY = new Uint8Array(0);

/**
 * The Raft state machine of one node (Raft paper Figure 2, thesis chapters
 * 3–6, 9–10). Pure: input is `step(message)`, `tick()` and local requests;
 * output is `ready()`. No clocks, no I/O, randomness injected.
 */
export class RaftCore {
  readonly id: NodeId;
  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private readonly preVote: boolean;
  private readonly checkQuorum: boolean;
  private readonly leaseReads: boolean;
  private readonly leaseDriftTicks: number;
  private readonly maxMessageBytes: number;
  private readonly maxInflight: number;
  private readonly maxInflightBytes: number;
  private readonly maxUncommittedBytes: number;
  private readonly maxApplyBytes: number;
  private readonly forwardProposals: boolean;
  private readonly random: () => number;

  private term = 0;
  private vote: NodeId | null = null;
  private leader: NodeId | null = null;
  private role: Role = 'follower';
  private conf: ConfState;
  /** Index of the last config entry folded into `conf`. */
  private confIndex: number;
  readonly log: RaftLog;
  private progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Monotonic tick count: the lease clock. */
  private ticks = 0;
  /** Ticks left in which this restarted node grants no vote (lease safety; see the constructor). */
  private voteQuietTicks: number;
  private leadTransferee: NodeId | null = null;
  private pendingConfIndex = 0;
  private uncommittedBytes = 0;
  private readOnly: ReadOnlyQueue;
  private readsAwaitingCommit: { from: NodeId; context: string; allowLease: boolean }[] = [];
  private leaseAcks = new Map<NodeId, number>();
  private needBroadcast = false;

  private msgs: Message[] = [];
  private msgsAfterPersist: Message[] = [];
  private readStates: ReadState[] = [];
  private latestSnapshot: SnapshotMeta | null;
  private receivedSnapshot: SnapshotMeta | null = null;
  private prevHard: HardState;
  private prevSoft: SoftState;
  /** Readies handed out and not yet advanced, oldest first (a driver may pipeline a few). */
  private outstanding: { lastIndex: number; lastTerm: number; applyTo: number }[] = [];
  /** Highest index handed out in committedEntries (applied, or being applied, by the driver). */
  private emittedTo: number;

  constructor(options: RaftCoreOptions, restore?: RaftRestoreState) {
    this.id = options.id;
    this.electionTimeout = options.electionTick ?? 10;
    this.heartbeatTimeout = options.heartbeatTick ?? 1;
    if (this.heartbeatTimeout >= this.electionTimeout) {
      throw new RangeError('heartbeatTick must be smaller than electionTick');
    }
    this.preVote = options.preVote ?? true;
    this.checkQuorum = options.checkQuorum ?? true;
    this.leaseReads = options.leaseReads ?? false;
    if (this.leaseReads && !this.checkQuorum) throw new RangeError('leaseReads needs checkQuorum');
    this.leaseDriftTicks = options.leaseDriftTicks ?? 2;
    this.maxMessageBytes = options.maxMessageBytes ?? 1 << 20;
    this.maxInflight = options.maxInflight ?? 256;
    this.maxInflightBytes = options.maxInflightBytes ?? 16 << 20;
    this.maxUncommittedBytes = options.maxUncommittedBytes ?? 64 << 20;
    this.maxApplyBytes = options.maxApplyBytes ?? 16 << 20;
    this.forwardProposals = options.forwardProposals ?? true;
    this.readOnly = new ReadOnlyQueue(options.maxPendingReads ?? 4096);
    this.random = options.random;

    const hs = restore?.hardState ?? { term: 0, vote: null, commit: 0 };
    const snap = restore?.snapshot ?? null;
    this.log = new RaftLog(
      snap?.index ?? 0,
      snap?.term ?? 0,
      [...(restore?.entries ?? [])],
      hs.commit,
    );
    this.term = hs.term;
    this.vote = hs.vote;
    // A restarted node may have acknowledged a leader's heartbeat just before
    // it went down; that leader's lease runs for an election timeout from the
    // heartbeat, but the restart forgot the leader, so without this the node
    // would vote for a rival at once and two nodes could serve reads as
    // leader. It stays out of elections for one election timeout instead.
    this.voteQuietTicks = this.leaseReads && hs.term > 0 ? this.electionTimeout : 0;
    this.conf = snap?.conf ?? emptyConfState();
    this.confIndex = snap?.index ?? 0;
    this.latestSnapshot = snap;
    // Membership is a function of the committed log: fold committed config
    // entries now so a restarted node knows its peers before replaying.
    for (let i = this.log.firstIndex(); i <= this.log.committed; i++) {
      const e = this.log.entry(i);
      if (e?.kind === 'config') this.foldConf(e);
    }
    this.emittedTo = this.log.applied;
    this.prevHard = { term: this.term, vote: this.vote, commit: this.log.committed };
    this.becomeFollower(this.term, null);
    this.prevSoft = { leader: null, role: 'follower' };
  }

  /**
   * Starts a brand-new cluster: entry 1 (term 1) holds the initial voters.
   * Every founding node must bootstrap with the same list so their logs
   * match; a node joining later starts empty and learns membership from the leader.
   */
  bootstrap(voters: readonly NodeId[]): void {
    if (this.log.lastIndex() !== 0 || this.term !== 0) {
      throw new RaftInvariantError('bootstrap on a node that already has state');
    }
    if (voters.length === 0) throw new RangeError('bootstrap needs at least one voter');
    const cc: ConfChange = {
      changes: [...new Set(voters)].sort().map((node) => ({ type: 'addVoter', node })),
    };
    const entry: Entry = { index: 1, term: 1, kind: 'config', data: encodeConfChange(cc) };
    this.log.append([entry]);
    this.term = 1;
    this.log.commitTo(1);
    this.foldConf(entry);
  }

  // ---------------------------------------------------------------- queries

  status(): RaftStatus {
    const progress = new Map<
      NodeId,
      { match: number; next: number; state: string; inflight: number; learner: boolean }
    >();
    for (const [id, pr] of this.progress) {
      progress.set(id, {
        match: id === this.id ? this.log.stable : pr.match,
        next: pr.next,
        state: pr.state,
        inflight: pr.inflights.count,
        learner: pr.isLearner,
      });
    }
    return {
      id: this.id,
      term: this.term,
      vote: this.vote,
      role: this.role,
      leader: this.leader,
      commit: this.log.committed,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      firstIndex: this.log.firstIndex(),
      stable: this.log.stable,
      conf: this.conf,
      leadTransferee: this.leadTransferee,
      progress,
    };
  }

  get currentTerm(): number {
    return this.term;
  }

  get currentRole(): Role {
    return this.role;
  }

  get currentLeader(): NodeId | null {
    return this.leader;
  }

  get config(): ConfState {
    return this.conf;
  }

  /** Whether this node may campaign: only voters can. */
  promotable(): boolean {
    return isVoter(this.conf, this.id);
  }

  // ---------------------------------------------------------------- inputs

  tick(): void {
    this.ticks++;
    if (this.voteQuietTicks > 0) this.voteQuietTicks--;
    if (this.role === 'leader') this.tickLeader();
    else this.tickElection();
  }

  /** Start an election now (tests, or an operator). */
  campaign(): void {
    if (!this.promotable() || this.role === 'leader') return;
    this.startCampaign(this.preVote ? 'pre' : 'election');
  }

  propose(data: Uint8Array): ProposeResult {
    return this.proposeEntry('normal', data);
  }

  proposeConfChange(cc: ConfChange): ProposeResult {
    return this.proposeEntry('config', encodeConfChange(cc));
  }

  /**
   * Requests a linearizable read point. The answer arrives as a ReadState with
   * this context in a later ready(); false when it cannot be served here now.
   */
  readIndex(context: string, allowLease = true): boolean {
    if (this.role === 'leader') return this.leaderReadIndex(this.id, context, allowLease);
    if (this.leader === null) return false;
    this.send({ type: 'readIndex', to: this.leader, context, index: allowLease ? 1 : 0 });
    return true;
  }

  /** Asks the leader to hand leadership to `target` (thesis §3.10). */
  transferLeader(target: NodeId): boolean {
    if (this.role !== 'leader') {
      if (this.leader === null) return false;
      this.send({ type: 'transferLeader', to: this.leader, context: target });
      return true;
    }
    return this.leaderTransfer(target);
  }

  /** The driver's report on an InstallSnapshot it streamed to `to`. */
  reportSnapshot(to: NodeId, ok: boolean): void {
    const pr = this.progress.get(to);
    if (this.role !== 'leader' || !pr || pr.state !== 'snapshot') return;
    pr.becomeProbe();
    // On failure wait for the next heartbeat response before trying again.
    if (!ok) pr.probeSent = true;
  }

  /** The transport could not reach `to`: stop pipelining into the void. */
  reportUnreachable(to: NodeId): void {
    const pr = this.progress.get(to);
    if (this.role === 'leader' && pr && pr.state === 'replicate') pr.becomeProbe();
  }

  /**
   * Snapshot metadata for the state the application has applied so far. Call
   * right after `advance()`, take the state machine snapshot at the same
   * moment, persist both, then call `compact`.
   */
  snapshotMeta(): SnapshotMeta {
    // The configuration is folded at emission, so it matches the state after
    // everything emitted so far has been applied.
    const index = this.emittedTo;
    const term = this.log.term(index);
    if (term === undefined) throw new RaftInvariantError('applied index has no term');
    return { index, term, conf: this.conf };
  }

  /** Whether `compact` at `index` is allowed yet (applied and durable here). */
  canCompact(index: number): boolean {
    return index <= this.log.applied && index <= this.log.stable;
  }

  /**
   * A snapshot at `meta.index` is durable: it becomes what lagging followers
   * receive, and the log is compacted up to `compactTo` (default `meta.index`;
   * lower keeps a tail for followers that are only slightly behind).
   */
  compact(meta: SnapshotMeta, compactTo = meta.index): void {
    if (meta.index > this.log.applied)
      throw new RaftInvariantError('snapshot beyond applied index');
    if (!this.latestSnapshot || meta.index > this.latestSnapshot.index) this.latestSnapshot = meta;
    this.log.compact(Math.min(compactTo, meta.index));
  }

  step(m: Message): void {
    if (LOCAL_FORWARDS.has(m.type)) {
      this.stepForwarded(m);
      return;
    }
    if (m.term > this.term) {
      if (m.type === 'vote' || m.type === 'preVote') {
        const force = m.context === 'transfer';
        const inLease =
          (this.checkQuorum &&
            this.leader !== null &&
            this.electionElapsed < this.electionTimeout) ||
          this.voteQuietTicks > 0;
        // Thesis §4.2.3: ignore a disruptive candidate while a leader is alive.
        if (!force && inLease) return;
      }
      if (m.type === 'preVote') {
        // A pre-vote never changes our term.
      } else if (m.type === 'preVoteResp' && !m.reject) {
        // Granted for the term we would campaign in; the term moves when we do.
      } else if (m.type === 'app' || m.type === 'heartbeat' || m.type === 'snap') {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, null);
      }
    } else if (m.term < this.term) {
      if ((this.checkQuorum || this.preVote) && (m.type === 'app' || m.type === 'heartbeat')) {
        // A stale leader (e.g. after a partition): tell it about the newer
        // term so it steps down instead of being ignored forever.
        this.send({ type: 'appResp', to: m.from });
      } else if (m.type === 'preVote') {
        this.send({ type: 'preVoteResp', to: m.from, reject: true });
      }
      return;
    }

    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return;
    }
    switch (this.role) {
      case 'leader':
        this.stepLeader(m);
        break;
      case 'candidate':
      case 'preCandidate':
        this.stepCandidate(m);
        break;
      default:
        this.stepFollower(m);
    }
  }

  // ---------------------------------------------------------------- output

  hasReady(): boolean {
    const hs = this.hardState();
    return (
      this.needBroadcast ||
      hs.term !== this.prevHard.term ||
      hs.vote !== this.prevHard.vote ||
      hs.commit !== this.prevHard.commit ||
      this.leader !== this.prevSoft.leader ||
      this.role !== this.prevSoft.role ||
      this.receivedSnapshot !== null ||
      this.log.handedOut < this.log.lastIndex() ||
      this.msgs.length > 0 ||
      this.msgsAfterPersist.length > 0 ||
      this.readStates.length > 0 ||
      this.log.committed > this.emittedTo
    );
  }

  ready(): Ready {
    if (this.needBroadcast && this.role === 'leader') this.bcastAppend();
    this.needBroadcast = false;
    const hs = this.hardState();
    const hardChanged =
      hs.term !== this.prevHard.term ||
      hs.vote !== this.prevHard.vote ||
      hs.commit !== this.prevHard.commit;
    const softChanged = this.leader !== this.prevSoft.leader || this.role !== this.prevSoft.role;
    const entries = this.log.unstableEntries();
    const committedEntries =
      this.log.committed > this.emittedTo
        ? this.log.slice(this.emittedTo + 1, this.log.committed + 1, this.maxApplyBytes)
        : [];
    const rd: Ready = {
      softState: softChanged ? { leader: this.leader, role: this.role } : null,
      hardState: hardChanged ? hs : null,
      snapshot: this.receivedSnapshot,
      entries,
      messages: this.msgs,
      persistedMessages: this.msgsAfterPersist,
      committedEntries,
      readStates: this.readStates,
    };
    this.msgs = [];
    this.msgsAfterPersist = [];
    this.readStates = [];
    this.receivedSnapshot = null;
    if (hardChanged) this.prevHard = hs;
    if (softChanged) this.prevSoft = { leader: this.leader, role: this.role };
    this.log.handedOut = this.log.lastIndex();
    const last = committedEntries[committedEntries.length - 1];
    if (last) this.emittedTo = last.index;
    this.outstanding.push({
      lastIndex: this.log.lastIndex(),
      lastTerm: this.log.lastTerm(),
      applyTo: this.emittedTo,
    });
    for (const e of committedEntries) {
      this.uncommittedBytes = Math.max(0, this.uncommittedBytes - e.data.byteLength);
      if (e.kind === 'config' && e.index > this.confIndex) this.applyConfEntry(e);
    }
    return rd;
  }

  /** The driver finished a Ready: its writes are durable and its entries applied. */
  advance(): void {
    const r = this.outstanding.shift();
    if (!r) throw new RaftInvariantError('advance() without ready()');
    this.log.stableTo(r.lastIndex, r.lastTerm);
    if (r.applyTo > this.log.applied) this.log.applied = r.applyTo;
    if (this.role === 'leader') {
      // The leader counts itself only for what it has made durable.
      if (this.maybeCommit()) this.bcastAppend();
      // A joint config to be left automatically whose leave entry was lost
      // with a previous leader: this leader proposes it (once nothing is pending).
      if (isJoint(this.conf) && this.conf.autoLeave && this.pendingConfIndex <= this.log.applied) {
        const leave = this.appendOwn('config', encodeConfChange({ changes: [] }));
        this.pendingConfIndex = leave.index;
        this.needBroadcast = true;
      }
    }
  }

  // ---------------------------------------------------------------- roles

  private hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.leader = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout =
      this.electionTimeout + Math.floor(this.random() * this.electionTimeout);
    this.leadTransferee = null;
    this.votes.clear();
    this.progress.clear();
    this.readOnly.clear();
    this.readsAwaitingCommit = [];
    this.leaseAcks.clear();
    this.needBroadcast = false;
  }

  private becomeFollower(term: number, leader: NodeId | null): void {
    this.reset(term);
    this.role = 'follower';
    this.leader = leader;
  }

  private becomePreCandidate(): void {
    // No term change, no vote: a pre-vote only asks whether we could win.
    const term = this.term;
    this.reset(term);
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
  }

  private becomeLeader(): void {
    this.reset(this.term);
    this.role = 'leader';
    this.leader = this.id;
    const last = this.log.lastIndex();
    for (const id of allMembers(this.conf)) this.progress.set(id, this.newProgress(id, last + 1));
    // Any config entry past what we have applied may still be pending.
    this.pendingConfIndex = last;
    // Thesis §6.4 / §5.4.2: an entry of our own term lets us commit (and so
    // serve reads) at all.
    this.appendOwn('normal', EMPTY);
    this.needBroadcast = true;
  }

  private newProgress(id: NodeId, next: number): Progress {
    const pr = new Progress(
      next,
      this.maxInflight,
      this.maxInflightBytes,
      !isVoter(this.conf, id) &&
        (this.conf.learners.includes(id) || this.conf.learnersNext.includes(id)),
    );
    if (id === this.id) {
      pr.match = this.log.stable;
      pr.becomeReplicate();
    }
    pr.recentActive = true;
    return pr;
  }

  private startCampaign(kind: 'pre' | 'election' | 'transfer'): void {
    let voteTerm: number;
    let type: MessageType;
    if (kind === 'pre') {
      this.becomePreCandidate();
      voteTerm = this.term + 1;
      type = 'preVote';
    } else {
      this.becomeCandidate();
      voteTerm = this.term;
      type = 'vote';
    }
    this.votes.set(this.id, true);
    if (voteResult(this.conf, this.votes) === 'won') {
      // A single-voter cluster wins at once.
      if (kind === 'pre') this.startCampaign('election');
      else this.becomeLeader();
      return;
    }
    const voters = new Set([...this.conf.voters, ...this.conf.votersOutgoing]);
    for (const id of voters) {
      if (id === this.id) continue;
      this.send({
        type,
        to: id,
        term: voteTerm,
        index: this.log.lastIndex(),
        logTerm: this.log.lastTerm(),
        context: kind === 'transfer' ? 'transfer' : '',
      });
    }
  }

  private handleVoteRequest(m: Message): void {
    const respType: MessageType = m.type === 'vote' ? 'voteResp' : 'preVoteResp';
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.leader === null) ||
      (m.type === 'preVote' && m.term > this.term);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // Granted responses carry the request's term so the candidate counts them.
      this.send({ type: respType, to: m.from, term: m.term, reject: false });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send({ type: respType, to: m.from, reject: true });
    }
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.promotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.startCampaign(this.preVote ? 'pre' : 'election');
    }
  }

  private tickLeader(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) {
        const active = new Map<NodeId, boolean>();
        for (const [id, pr] of this.progress) active.set(id, id === this.id || pr.recentActive);
        if (voteResult(this.conf, active) !== 'won') {
          // Partitioned from a majority: stop acting as leader (thesis §6.2).
          this.becomeFollower(this.term, null);
          return;
        }
        for (const [id, pr] of this.progress) pr.recentActive = id === this.id;
      }
      // A transfer that has not finished within an election timeout is abandoned.
      this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat(this.readOnly.lastContext());
    }
  }

  // ---------------------------------------------------------------- stepping

  private stepForwarded(m: Message): void {
    if (this.role !== 'leader') {
      // Not the leader (any more): pass along once if we know better, else drop;
      // the requester's deadline turns the drop into an error.
      if (
        m.type === 'prop' &&
        this.leader !== null &&
        this.leader !== m.from &&
        this.forwardProposals
      ) {
        this.send({ type: 'prop', to: this.leader, entries: m.entries });
      }
      return;
    }
    switch (m.type) {
      case 'prop':
        for (const e of m.entries) this.proposeEntry(e.kind, e.data);
        break;
      case 'readIndex':
        this.leaderReadIndex(m.from, m.context, m.index === 1);
        break;
      case 'transferLeader':
        this.leaderTransfer(m.context);
        break;
      default:
        break;
    }
  }

  private stepLeader(m: Message): void {
    const pr = this.progress.get(m.from);
    if (!pr) return;
    switch (m.type) {
      case 'appResp':
        pr.recentActive = true;
        if (m.reject) {
          let hint = m.rejectHint;
          if (m.logTerm > 0) hint = this.log.findConflictByTerm(m.rejectHint, m.logTerm);
          if (pr.maybeDecrTo(m.index, hint)) {
            if (pr.state === 'replicate') pr.becomeProbe();
            this.sendAppend(m.from);
          }
          return;
        }
        {
          const wasPaused = pr.isPaused();
          if (!pr.maybeUpdate(m.index)) return;
          if (pr.state === 'probe') pr.becomeReplicate();
          else if (pr.state === 'snapshot' && pr.match >= pr.pendingSnapshot) pr.becomeReplicate();
          else if (pr.state === 'replicate') pr.inflights.freeLE(m.index);
          if (this.maybeCommit()) this.bcastAppend();
          else if (wasPaused) this.sendAppend(m.from);
          // Pipelining: keep the window full.
          while (this.sendAppend(m.from, false)) {}
          if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) {
            this.send({ type: 'timeoutNow', to: m.from });
          }
        }
        return;
      case 'heartbeatResp':
        pr.recentActive = true;
        pr.probeSent = false;
        if (m.index > (this.leaseAcks.get(m.from) ?? 0)) this.leaseAcks.set(m.from, m.index);
        if (pr.state === 'replicate' && pr.inflights.full()) {
          // An ack may have been lost: let one more append out to re-sync.
          pr.inflights.freeLE(pr.match + 1);
          if (pr.inflights.full()) pr.becomeProbe();
        }
        if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
        if (m.context !== '') this.ackRead(m.from, m.context);
        return;
      default:
        return;
    }
  }

  private stepCandidate(m: Message): void {
    const myResp: MessageType = this.role === 'preCandidate' ? 'preVoteResp' : 'voteResp';
    switch (m.type) {
      case 'app':
      case 'heartbeat':
      case 'snap':
        // Someone won this term.
        this.becomeFollower(m.term, m.from);
        this.stepFollower(m);
        return;
      default:
        if (m.type !== myResp) return;
        this.votes.set(m.from, !m.reject);
        switch (voteResult(this.conf, this.votes)) {
          case 'won':
            if (this.role === 'preCandidate') this.startCampaign('election');
            else this.becomeLeader();
            return;
          case 'lost':
            this.becomeFollower(this.term, null);
            return;
          default:
            return;
        }
    }
  }

  private stepFollower(m: Message): void {
    switch (m.type) {
      case 'app':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleAppend(m);
        return;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.log.commitTo(Math.min(m.commit, this.log.lastIndex()));
        this.send({ type: 'heartbeatResp', to: m.from, index: m.index, context: m.context });
        return;
      case 'snap':
        this.electionElapsed = 0;
        this.leader = m.from;
        this.handleSnapshot(m);
        return;
      case 'timeoutNow':
        // Leader transfer: campaign at once, skipping pre-vote and the lease check.
        if (this.promotable()) this.startCampaign('transfer');
        return;
      case 'readIndexResp':
        this.readStates.push({ index: m.index, context: m.context });
        return;
      default:
        return;
    }
  }

  private handleAppend(m: Message): void {
    if (m.index < this.log.committed) {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(m.index, m.logTerm)) {
      this.log.appendFromLeader(m.entries);
      const lastNew = m.index + m.entries.length;
      this.log.commitTo(Math.min(m.commit, lastNew));
      this.send({ type: 'appResp', to: m.from, index: lastNew });
      return;
    }
    // Figure 2 receiver rule 2: reject, with a hint to skip a term at a time.
    const hintIndex = this.log.findConflictByTerm(
      Math.min(m.index, this.log.lastIndex()),
      m.logTerm,
    );
    this.send({
      type: 'appResp',
      to: m.from,
      index: m.index,
      reject: true,
      rejectHint: hintIndex,
      logTerm: this.log.term(hintIndex) ?? 0,
    });
  }

  private handleSnapshot(m: Message): void {
    const s = m.snapshot;
    if (!s) return;
    if (s.index <= this.log.committed) {
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
      return;
    }
    if (this.log.matchTerm(s.index, s.term)) {
      // We already hold that prefix: just fast-forward the commit.
      this.log.commitTo(s.index);
      this.send({ type: 'appResp', to: m.from, index: this.log.committed });
      return;
    }
    this.log.restore(s.index, s.term);
    this.emittedTo = s.index;
    this.conf = s.conf;
    this.confIndex = s.index;
    this.latestSnapshot = s;
    this.receivedSnapshot = s;
    this.send({ type: 'appResp', to: m.from, index: s.index });
  }

  // ---------------------------------------------------------------- leader work

  private proposeEntry(kind: EntryKind, data: Uint8Array): ProposeResult {
    if (this.role !== 'leader') {
      if (this.leader === null) return { ok: false, reason: 'noLeader', leader: null };
      if (!this.forwardProposals) return { ok: false, reason: 'notLeader', leader: this.leader };
      this.send({ type: 'prop', to: this.leader, entries: [{ index: 0, term: 0, kind, data }] });
      return { ok: true, forwardedTo: this.leader };
    }
    if (this.leadTransferee !== null) return { ok: false, reason: 'transferring', leader: this.id };
    if (
      this.uncommittedBytes > 0 &&
      this.uncommittedBytes + data.byteLength > this.maxUncommittedBytes
    ) {
      return { ok: false, reason: 'uncommittedFull', leader: this.id };
    }
    if (kind === 'config') {
      if (this.pendingConfIndex > this.log.applied) {
        return { ok: false, reason: 'confPending', leader: this.id };
      }
      try {
        applyConfChange(this.conf, decodeConfChange(data));
      } catch (err) {
        return {
          ok: false,
          reason: 'invalidConf',
          leader: this.id,
          detail: err instanceof Error ? err.message : String(err),
        };
      }
    }
    const e = this.appendOwn(kind, data);
    if (kind === 'config') this.pendingConfIndex = e.index;
    this.needBroadcast = true;
    return { ok: true, index: e.index, term: e.term };
  }

  private appendOwn(kind: EntryKind, data: Uint8Array): Entry {
    const e: Entry = { index: this.log.lastIndex() + 1, term: this.term, kind, data };
    this.log.append([e]);
    this.uncommittedBytes += data.byteLength;
    return e;
  }

  private maybeCommit(): boolean {
    const idx = quorumIndex(this.conf, (id) =>
      id === this.id
        ? isVoter(this.conf, id)
          ? this.log.stable
          : 0
        : (this.progress.get(id)?.match ?? 0),
    );
    // Figure 2 / §5.4.2: only entries of the current term commit by counting.
    if (idx <= this.log.committed || this.log.term(idx) !== this.term) return false;
    const firstInTerm = this.log.term(this.log.committed) !== this.term;
    this.log.commitTo(idx);
    if (firstInTerm) {
      const waiting = this.readsAwaitingCommit;
      this.readsAwaitingCommit = [];
      for (const r of waiting) this.leaderReadIndex(r.from, r.context, r.allowLease);
    }
    return true;
  }

  private bcastAppend(): void {
    for (const id of this.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private bcastHeartbeat(context: string): void {
    for (const [id, pr] of this.progress) {
      if (id === this.id) continue;
      this.send({
        type: 'heartbeat',
        to: id,
        // Never let a follower commit past what we know it holds.
        commit: Math.min(pr.match, this.log.committed),
        // The send tick, echoed back: the lease starts when the heartbeat left.
        index: this.ticks,
        context,
      });
    }
  }

  /** Sends entries (or a snapshot) to `to`; returns whether anything went out. */
  private sendAppend(to: NodeId, sendIfEmpty = true): boolean {
    const pr = this.progress.get(to);
    if (!pr || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    const prevTerm = this.log.term(prevIndex);
    if (prevTerm === undefined) return this.sendSnapshot(to, pr);
    const entries =
      pr.next <= this.log.lastIndex()
        ? this.log.slice(pr.next, this.log.lastIndex() + 1, this.maxMessageBytes)
        : [];
    if (entries.length === 0 && !sendIfEmpty) return false;
    let bytes = 0;
    for (const e of entries) bytes += e.data.byteLength;
    this.send({
      type: 'app',
      to,
      index: prevIndex,
      logTerm: prevTerm,
      entries,
      commit: this.log.committed,
    });
    pr.sentEntries(prevIndex + entries.length, bytes);
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    const snap = this.latestSnapshot;
    if (!snap || snap.index < this.log.snapshotIndex) {
      throw new RaftInvariantError('log compacted without a snapshot to send');
    }
    this.send({ type: 'snap', to, snapshot: snap });
    pr.becomeSnapshot(snap.index);
    return true;
  }

  private leaderReadIndex(from: NodeId, context: string, allowLease: boolean): boolean {
    const respond = (index: number) => {
      if (from === this.id) this.readStates.push({ index, context });
      else this.send({ type: 'readIndexResp', to: from, index, context });
    };
    if (this.conf.voters.length === 1 && this.conf.voters[0] === this.id && !isJoint(this.conf)) {
      respond(this.log.committed);
      return true;
    }
    if (this.log.term(this.log.committed) !== this.term) {
      // Thesis §6.4 step 1: wait until an entry of this term commits.
      if (this.readsAwaitingCommit.length >= this.readOnly.capacity) return false;
      this.readsAwaitingCommit.push({ from, context, allowLease });
      return true;
    }
    if (allowLease && this.leaseValid()) {
      respond(this.log.committed);
      return true;
    }
    if (this.readOnly.full() || this.readOnly.find(context)) return false;
    this.readOnly.add({
      context,
      from,
      index: this.log.committed,
      acks: new Map([[this.id, true]]),
    });
    this.bcastHeartbeat(context);
    return true;
  }

  /** True while a lease read would be answered without a heartbeat round (leases enabled, leader, lease valid). */
  hasLease(): boolean {
    return this.role === 'leader' && this.leaseValid();
  }

  /**
   * Lease (thesis §6.4.1): followers do not vote for another candidate until
   * an election timeout after they last heard from us, so while a quorum
   * acknowledged a heartbeat sent less than that long ago (minus drift) no
   * other leader can exist. Relies on bounded clock drift; opt-in.
   */
  private leaseValid(): boolean {
    if (!this.leaseReads || this.leadTransferee !== null) return false;
    const since = quorumIndex(this.conf, (id) =>
      id === this.id ? this.ticks : (this.leaseAcks.get(id) ?? 0),
    );
    return since > 0 && this.ticks - since < this.electionTimeout - this.leaseDriftTicks;
  }

  private ackRead(from: NodeId, context: string): void {
    const read = this.readOnly.find(context);
    if (!read) return;
    read.acks.set(from, true);
    if (voteResult(this.conf, read.acks) !== 'won') return;
    for (const r of this.readOnly.releaseThrough(context)) {
      if (r.from === this.id) this.readStates.push({ index: r.index, context: r.context });
      else this.send({ type: 'readIndexResp', to: r.from, index: r.index, context: r.context });
    }
  }

  private leaderTransfer(target: NodeId): boolean {
    if (target === this.id || !isVoter(this.conf, target)) return false;
    const pr = this.progress.get(target);
    if (!pr) return false;
    if (this.leadTransferee === target) return true;
    this.leadTransferee = target;
    this.electionElapsed = 0;
    if (pr.match === this.log.lastIndex()) this.send({ type: 'timeoutNow', to: target });
    else this.sendAppend(target);
    return true;
  }

  // ---------------------------------------------------------------- membership

  private foldConf(e: Entry): void {
    try {
      const cc = decodeConfChange(e.data);
      if (this.conf.voters.length === 0 && !isJoint(this.conf)) {
        // The bootstrap entry (or a node learning the cluster from scratch).
        const voters = cc.changes.filter((c) => c.type === 'addVoter').map((c) => c.node);
        const learners = cc.changes.filter((c) => c.type === 'addLearner').map((c) => c.node);
        this.conf = { voters, votersOutgoing: [], learners, learnersNext: [], autoLeave: false };
      } else {
        this.conf = applyConfChange(this.conf, cc);
      }
    } catch (err) {
      // Every node folds the same committed sequence, so skipping an invalid
      // change is deterministic cluster-wide.
      if (!(err instanceof ConfChangeError) && !(err instanceof SyntaxError)) throw err;
    }
    this.confIndex = e.index;
  }

  private applyConfEntry(e: Entry): void {
    this.foldConf(e);
    if (this.role !== 'leader') return;
    const last = this.log.lastIndex();
    const members = new Set(allMembers(this.conf));
    for (const id of members) {
      const pr = this.progress.get(id);
      if (!pr) this.progress.set(id, this.newProgress(id, last + 1));
      else pr.isLearner = !isVoter(this.conf, id);
    }
    for (const id of [...this.progress.keys()]) if (!members.has(id)) this.progress.delete(id);
    if (this.leadTransferee !== null && !isVoter(this.conf, this.leadTransferee))
      this.leadTransferee = null;
    if (!isVoter(this.conf, this.id)) {
      // Removed (or demoted): tell everyone the commit index, then step down
      // so the remaining voters elect a leader among themselves.
      this.bcastAppend();
      this.becomeFollower(this.term, null);
      return;
    }
    if (isJoint(this.conf) && this.conf.autoLeave) {
      const leave = this.appendOwn('config', encodeConfChange({ changes: [] }));
      this.pendingConfIndex = leave.index;
    }
    if (this.maybeCommit()) this.needBroadcast = true;
    this.needBroadcast = true;
  }

  // ---------------------------------------------------------------- plumbing

  private send(
    m: Partial<Omit<Message, 'type' | 'to'>> & { readonly type: MessageType; readonly to: NodeId },
  ): void {
    const full: Message = {
      type: m.type,
      from: this.id,
      to: m.to,
      term: m.term ?? (LOCAL_FORWARDS.has(m.type) ? 0 : this.term),
      logTerm: m.logTerm ?? 0,
      index: m.index ?? 0,
      commit: m.commit ?? 0,
      entries: m.entries ?? [],
      reject: m.reject ?? false,
      rejectHint: m.rejectHint ?? 0,
      context: m.context ?? '',
      snapshot: m.snapshot ?? null,
    };
    if (IMMEDIATE.has(full.type)) this.msgs.push(full);
    else this.msgsAfterPersist.push(full);
  }
}
