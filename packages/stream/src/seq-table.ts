/**
 * The calls this side started, by seq (PROTOCOL.md §4.1). A `Map` with one
 * set and one delete per call keeps rehashing its tables under churn (tens of
 * bytes of garbage per call at 256 in flight). Seqs are ours to choose, so
 * this is an array indexed by `seq & mask`: the allocator skips any seq whose
 * slot is taken (still increasing, so still within §4.1), which makes lookups
 * one load and one compare, and set/delete allocation-free.
 */
export interface SeqEntry {
  seq: number;
}

const INITIAL_CAPACITY = 16;

export class SeqTable<T extends SeqEntry> {
  private slots: (T | undefined)[] = new Array(INITIAL_CAPACITY).fill(undefined);
  private mask = INITIAL_CAPACITY - 1;
  private count = 0;
  private last = 0;

  get size(): number {
    return this.count;
  }

  get(seq: number): T | undefined {
    const e = this.slots[seq & this.mask];
    return e !== undefined && e.seq === seq ? e : undefined;
  }

  /**
   * The next seq after the last one handed out whose slot is free: never 0,
   * wrapping at 2³²−1. Kept at most half full, so the search is short.
   */
  nextSeq(): number {
    if (this.count * 2 >= this.slots.length) this.grow();
    const slots = this.slots;
    const mask = this.mask;
    let s = this.last;
    do {
      s = (s + 1) >>> 0;
    } while (s === 0 || slots[s & mask] !== undefined);
    this.last = s;
    return s;
  }

  /** Stores `entry` under `entry.seq`, which must come from `nextSeq()`. */
  add(entry: T): void {
    this.slots[entry.seq & this.mask] = entry;
    this.count++;
  }

  delete(entry: T): void {
    const i = entry.seq & this.mask;
    if (this.slots[i] !== entry) return;
    this.slots[i] = undefined;
    this.count--;
  }

  /** A snapshot of every entry (for closing). */
  values(): T[] {
    const out: T[] = [];
    for (const e of this.slots) if (e !== undefined) out.push(e);
    return out;
  }

  private grow(): void {
    const old = this.slots;
    const size = old.length * 2;
    this.slots = new Array(size).fill(undefined);
    this.mask = size - 1;
    // Entries keep their seqs; with the doubled mask they land on distinct slots
    // (two seqs equal under the new mask were already equal under the old one).
    for (const e of old) if (e !== undefined) this.slots[e.seq & this.mask] = e;
  }
}
