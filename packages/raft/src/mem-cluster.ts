import { RaftCore, type RaftCoreOptions, type RaftRestoreState } from './raft-core.js';
import type { Entry, HardState, Message, NodeId, ReadState, SnapshotMeta } from './types.js';

/**
 * A synchronous in-memory cluster of pure cores for tests: each node has a
 * "disk" that is written instantly when its Ready is processed, a log of
 * applied entries, and the messages it sent wait in one network queue until
 * the test delivers, drops or filters them. No timers: tests tick explicitly.
 */
export interface MemDisk {
  hardState: HardState;
  snapshot: SnapshotMeta | null;
  /** Applied state at the snapshot: the list of applied commands. */
  snapshotData: string[];
  entries: Entry[];
}

export interface MemNode {
  readonly id: NodeId;
  core: RaftCore;
  readonly disk: MemDisk;
  /** Commands applied, in order (decoded text; no-ops skipped). */
  applied: string[];
  appliedIndex: number;
  readStates: ReadState[];
  /** Every entry index applied since creation, to check exactly-once. */
  appliedLog: { index: number; term: number }[];
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export function text(s: string): Uint8Array {
  return enc.encode(s);
}

export class MemCluster {
  readonly nodes = new Map<NodeId, MemNode>();
  queue: Message[] = [];
  /** Returns true to drop a message as it is delivered. */
  dropFilter: ((m: Message) => boolean) | null = null;
  private seed: number;

  constructor(
    private readonly baseOptions: Partial<RaftCoreOptions> = {},
    seed = 1,
  ) {
    this.seed = seed;
  }

  private random(): () => number {
    // Deterministic LCG per node: tests stay reproducible without sim.
    let s = this.seed++ * 7919 + 17;
    return () => {
      s = (Math.imul(s, 1103515245) + 12345) >>> 0;
      return s / 4294967296;
    };
  }

  /** Adds founding nodes that bootstrap with `ids` as voters. */
  bootstrap(ids: readonly NodeId[], options: Partial<RaftCoreOptions> = {}): void {
    for (const id of ids) {
      const node = this.create(id, options);
      node.core.bootstrap(ids);
    }
  }

  /** Adds an empty node (a future learner or voter). */
  addEmpty(id: NodeId, options: Partial<RaftCoreOptions> = {}): MemNode {
    return this.create(id, options);
  }

  private create(id: NodeId, options: Partial<RaftCoreOptions>): MemNode {
    const disk: MemDisk = {
      hardState: { term: 0, vote: null, commit: 0 },
      snapshot: null,
      snapshotData: [],
      entries: [],
    };
    const node: MemNode = {
      id,
      core: new RaftCore({ ...this.baseOptions, ...options, id, random: this.random() }),
      disk,
      applied: [],
      appliedIndex: 0,
      readStates: [],
      appliedLog: [],
    };
    this.nodes.set(id, node);
    return node;
  }

  node(id: NodeId): MemNode {
    const n = this.nodes.get(id);
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  core(id: NodeId): RaftCore {
    return this.node(id).core;
  }

  /** Restarts a node from its disk (everything in memory is lost). */
  restart(id: NodeId, options: Partial<RaftCoreOptions> = {}): void {
    const n = this.node(id);
    const restore: RaftRestoreState = {
      hardState: n.disk.hardState,
      snapshot: n.disk.snapshot,
      entries: n.disk.entries,
    };
    n.core = new RaftCore({ ...this.baseOptions, ...options, id, random: this.random() }, restore);
    n.applied = [...n.disk.snapshotData];
    n.appliedIndex = n.disk.snapshot?.index ?? 0;
    n.readStates = [];
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  /** Processes one Ready of one node: persist, queue messages, apply, advance. */
  processReady(id: NodeId): boolean {
    const n = this.node(id);
    if (!n.core.hasReady()) return false;
    const rd = n.core.ready();
    this.queue.push(...rd.messages);
    if (rd.snapshot) {
      n.disk.snapshot = rd.snapshot;
      n.disk.entries = [];
      const from = this.nodes.get(this.snapshotSourceOf(rd.snapshot));
      n.disk.snapshotData = from ? [...from.disk.snapshotData] : [];
      n.applied = [...n.disk.snapshotData];
      n.appliedIndex = rd.snapshot.index;
    }
    if (rd.entries.length > 0) {
      const first = rd.entries[0]?.index ?? 0;
      const base = n.disk.snapshot?.index ?? 0;
      n.disk.entries = n.disk.entries.slice(0, Math.max(0, first - base - 1)).concat(rd.entries);
    }
    if (rd.hardState) n.disk.hardState = rd.hardState;
    this.queue.push(...rd.persistedMessages);
    for (const e of rd.committedEntries) {
      if (e.index !== n.appliedIndex + 1)
        throw new Error(`${id}: applied ${e.index} after ${n.appliedIndex}`);
      n.appliedIndex = e.index;
      n.appliedLog.push({ index: e.index, term: e.term });
      if (e.kind === 'normal' && e.data.byteLength > 0) n.applied.push(dec.decode(e.data));
    }
    n.readStates.push(...rd.readStates);
    n.core.advance();
    return true;
  }

  /** Which node's snapshot data to copy when a follower installs a snapshot. */
  private snapshotSourceOf(meta: SnapshotMeta): NodeId {
    for (const [id, n] of this.nodes)
      if (n.disk.snapshot?.index === meta.index && n.disk.snapshot.term === meta.term) return id;
    return '';
  }

  /** Takes a snapshot at the node's applied index and compacts its log. */
  compact(id: NodeId, keep = 0): SnapshotMeta {
    const n = this.node(id);
    const meta = n.core.snapshotMeta();
    n.disk.snapshot = meta;
    n.disk.snapshotData = [...n.applied];
    const cut = Math.max(0, meta.index - keep);
    n.core.compact(meta, cut);
    const base = n.core.log.snapshotIndex;
    n.disk.entries = n.disk.entries.filter((e) => e.index > base);
    return meta;
  }

  /** Delivers queued messages once (those sent in response wait for the next round). */
  deliverAll(filter?: (m: Message) => boolean): Message[] {
    const batch = this.queue;
    this.queue = [];
    const delivered: Message[] = [];
    for (const m of batch) {
      if (filter && !filter(m)) {
        this.queue.push(m);
        continue;
      }
      if (this.dropFilter?.(m)) {
        if (m.type === 'snap') this.nodes.get(m.from)?.core.reportSnapshot(m.to, false);
        continue;
      }
      const to = this.nodes.get(m.to);
      if (!to) continue;
      to.core.step(m);
      if (m.type === 'snap') this.nodes.get(m.from)?.core.reportSnapshot(m.to, true);
      delivered.push(m);
    }
    return delivered;
  }

  /** Processes readies and delivers messages until nothing moves. */
  stabilize(maxRounds = 1000): void {
    for (let round = 0; round < maxRounds; round++) {
      let moved = false;
      for (const id of this.nodes.keys()) moved = this.processReady(id) || moved;
      if (this.queue.length > 0) {
        this.deliverAll();
        moved = true;
      }
      if (!moved) return;
    }
    throw new Error('cluster did not stabilize');
  }

  tick(id: NodeId, times = 1): void {
    for (let i = 0; i < times; i++) this.core(id).tick();
  }

  /** Ticks a node until it starts an election (past its randomized timeout). */
  tickUntilCampaign(id: NodeId): void {
    const c = this.core(id);
    for (let i = 0; i < 100; i++) {
      c.tick();
      if (c.currentRole !== 'follower') return;
    }
    throw new Error(`${id} never campaigned`);
  }

  leaderId(): NodeId | null {
    let leader: NodeId | null = null;
    let term = -1;
    for (const [id, n] of this.nodes) {
      if (n.core.currentRole === 'leader' && n.core.currentTerm > term) {
        leader = id;
        term = n.core.currentTerm;
      }
    }
    return leader;
  }

  /** Elects `id` by campaigning and stabilizing. */
  elect(id: NodeId): void {
    this.core(id).campaign();
    this.stabilize();
    if (this.core(id).currentRole !== 'leader') throw new Error(`${id} did not win`);
  }
}
