/**
 * A binary min-heap of scheduled events ordered by (time, seq). The seq is the
 * insertion order, so events due at the same virtual instant run in the order
 * they were scheduled: that tie-break is what makes a run deterministic.
 */
export interface SimEvent {
  time: number;
  seq: number;
  fn: (() => void) | null; // null once cancelled (lazy deletion)
}

function less(a: SimEvent, b: SimEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.seq < b.seq);
}

export class EventHeap {
  private readonly items: SimEvent[] = [];

  get length(): number {
    return this.items.length;
  }

  peek(): SimEvent | undefined {
    return this.items[0];
  }

  push(ev: SimEvent): void {
    const a = this.items;
    a.push(ev);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as SimEvent;
      if (!less(ev, parent)) break;
      a[i] = parent;
      i = p;
    }
    a[i] = ev;
  }

  pop(): SimEvent | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    const n = a.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(a[r] as SimEvent, a[l] as SimEvent)) c = r;
      const child = a[c] as SimEvent;
      if (!less(child, last)) break;
      a[i] = child;
      i = c;
    }
    a[i] = last;
    return top;
  }

  /** Drops cancelled events and restores heap order (O(n)). */
  compact(): void {
    const a = this.items.filter((ev) => ev.fn !== null);
    a.sort((x, y) => (less(x, y) ? -1 : 1));
    this.items.length = 0;
    for (const ev of a) this.items.push(ev); // a sorted array is a valid heap
  }

  clear(): void {
    this.items.length = 0;
  }
}
