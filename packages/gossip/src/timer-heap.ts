/**
 * Deadlines inside the core. The core never sets real timers: it exposes the
 * earliest deadline and the driver calls `tick(now)` when it passes. Entries
 * are cancelled lazily by generation so resets are O(log n).
 */
export interface TimerEntry {
  at: number;
  kind: string;
  key: string;
  gen: number;
}

export class TimerHeap {
  private readonly heap: TimerEntry[] = [];
  private readonly gens = new Map<string, number>();
  private nextGen = 1;

  get size(): number {
    return this.heap.length;
  }

  /** Schedules (or reschedules) the timer identified by kind+key. */
  set(kind: string, key: string, at: number): void {
    const id = `${kind}\u0000${key}`;
    const gen = this.nextGen++;
    this.gens.set(id, gen);
    this.push({ at, kind, key, gen });
  }

  cancel(kind: string, key: string): void {
    this.gens.delete(`${kind}\u0000${key}`);
  }

  has(kind: string, key: string): boolean {
    return this.gens.has(`${kind}\u0000${key}`);
  }

  /** Earliest live deadline, or undefined. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns the earliest live entry due at or before `now`. */
  popDue(now: number): TimerEntry | undefined {
    this.dropStale();
    const top = this.heap[0];
    if (top === undefined || top.at > now) return undefined;
    this.pop();
    this.gens.delete(`${top.kind}\u0000${top.key}`);
    return top;
  }

  private live(e: TimerEntry): boolean {
    return this.gens.get(`${e.kind}\u0000${e.key}`) === e.gen;
  }

  private dropStale(): void {
    while (this.heap.length > 0 && !this.live(this.heap[0] as TimerEntry)) this.pop();
  }

  private push(e: TimerEntry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as TimerEntry).at <= e.at) break;
      h[i] = h[p] as TimerEntry;
      i = p;
    }
    h[i] = e;
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop() as TimerEntry;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      let mv = last.at;
      if (l < h.length && (h[l] as TimerEntry).at < mv) {
        m = l;
        mv = (h[l] as TimerEntry).at;
      }
      if (r < h.length && (h[r] as TimerEntry).at < mv) m = r;
      if (m === i) break;
      h[i] = h[m] as TimerEntry;
      i = m;
    }
    h[i] = last;
  }
}
