import type { Entry } from './types.js';

/** A broken Raft invariant: the node must stop rather than diverge. */
export class RaftInvariantError extends Error {
  override readonly name = 'RaftInvariantError';
}

/**
 * The in-memory log of one node: entries after the last compaction point,
 * with the indexes that matter — committed, applied (handed to the
 * application) and stable (known durable). Memory is bounded by compaction:
 * the driver snapshots and calls `compact` once the log passes a size limit.
 */
export class RaftLog {
  /** Index and term of the last entry folded into a snapshot (0/0 when none). */
  snapshotIndex: number;
  snapshotTerm: number;
  private entries: Entry[];
  committed: number;
  applied: number;
  /** Highest index known durable on this node. */
  stable: number;
  /** Highest index handed to the driver for persistence (≥ stable). */
  handedOut: number;

  constructor(snapshotIndex: number, snapshotTerm: number, entries: Entry[], committed: number) {
    this.snapshotIndex = snapshotIndex;
    this.snapshotTerm = snapshotTerm;
    this.entries = entries;
    const last = this.lastIndex();
    this.stable = last;
    this.handedOut = last;
    this.committed = Math.min(Math.max(committed, snapshotIndex), last);
    this.applied = snapshotIndex;
    for (let i = 0; i < entries.length; i++) {
      if (entries[i]?.index !== snapshotIndex + 1 + i) {
        throw new RaftInvariantError('restored log is not contiguous after the snapshot');
      }
    }
  }

  firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  lastTerm(): number {
    return this.term(this.lastIndex()) ?? 0;
  }

  /** Term at `index`, or undefined when compacted away or beyond the end. */
  term(index: number): number | undefined {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex()) return undefined;
    return this.entries[index - this.snapshotIndex - 1]?.term;
  }

  entry(index: number): Entry | undefined {
    return this.entries[index - this.snapshotIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** §5.4.1: a candidate's log is at least as up to date as ours. */
  isUpToDate(lastIndex: number, lastTerm: number): boolean {
    const myTerm = this.lastTerm();
    return lastTerm > myTerm || (lastTerm === myTerm && lastIndex >= this.lastIndex());
  }

  /** Entries in [lo, hi) capped at `maxBytes` (always at least one). */
  slice(lo: number, hi: number, maxBytes = Number.POSITIVE_INFINITY): Entry[] {
    if (lo < this.firstIndex()) throw new RaftInvariantError(`slice ${lo} below first index`);
    hi = Math.min(hi, this.lastIndex() + 1);
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.entry(i);
      if (!e) break;
      bytes += e.data.byteLength;
      if (out.length > 0 && bytes > maxBytes) break;
      out.push(e);
    }
    return out;
  }

  /** Appends (the leader's own proposals). */
  append(entries: readonly Entry[]): void {
    for (const e of entries) {
      if (e.index !== this.lastIndex() + 1) throw new RaftInvariantError('non-contiguous append');
      this.entries.push(e);
    }
  }

  /**
   * Follower side of AppendEntries (Figure 2, receiver rules 3–4): drop any
   * conflicting suffix, append what is new. Truncating a committed entry
   * would violate state machine safety and is refused.
   */
  appendFromLeader(entries: readonly Entry[]): void {
    for (const e of entries) {
      const existing = this.term(e.index);
      if (existing === e.term) continue;
      if (e.index <= this.snapshotIndex) continue;
      if (existing !== undefined) {
        if (e.index <= this.committed) {
          throw new RaftInvariantError(`conflict at committed index ${e.index}`);
        }
        this.entries.length = e.index - this.snapshotIndex - 1;
        this.stable = Math.min(this.stable, e.index - 1);
        this.handedOut = Math.min(this.handedOut, e.index - 1);
      }
      if (e.index !== this.lastIndex() + 1) throw new RaftInvariantError('gap in append');
      this.entries.push(e);
    }
  }

  commitTo(index: number): boolean {
    if (index <= this.committed) return false;
    if (index > this.lastIndex()) throw new RaftInvariantError(`commit ${index} beyond last index`);
    this.committed = index;
    return true;
  }

  /** Entries not yet handed out for persistence. */
  unstableEntries(): Entry[] {
    if (this.handedOut >= this.lastIndex()) return [];
    return this.slice(Math.max(this.handedOut + 1, this.firstIndex()), this.lastIndex() + 1);
  }

  /** The driver made entries up to (index, term) durable; ignored if since overwritten. */
  stableTo(index: number, term: number): void {
    if (index > this.stable && this.term(index) === term) this.stable = index;
  }

  /**
   * Highest index whose term we can find: a rejection hint. Returns the last
   * index ≤ `index` whose term is ≤ `term` (etcd's "find conflict by term"
   * idea: skip a whole term per round trip instead of one entry).
   */
  findConflictByTerm(index: number, term: number): number {
    let i = Math.min(index, this.lastIndex());
    while (i > this.snapshotIndex) {
      const t = this.term(i);
      if (t !== undefined && t <= term) return i;
      i--;
    }
    return i;
  }

  /** Discards entries ≤ `index` after a snapshot at `index` was persisted. */
  compact(index: number): void {
    if (index <= this.snapshotIndex) return;
    if (index > this.applied || index > this.stable) {
      throw new RaftInvariantError(`compact ${index} beyond applied/stable`);
    }
    const t = this.term(index);
    if (t === undefined) throw new RaftInvariantError(`compact ${index}: unknown term`);
    this.entries = this.entries.slice(index - this.snapshotIndex);
    this.snapshotIndex = index;
    this.snapshotTerm = t;
  }

  /** Replaces the log with a snapshot received from the leader. */
  restore(index: number, term: number): void {
    this.entries = [];
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    this.committed = index;
    this.applied = index;
    this.stable = index;
    this.handedOut = index;
  }
}
