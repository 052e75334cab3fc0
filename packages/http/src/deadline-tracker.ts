/**
 * Something with a deadline that can be told it missed it. The links are the
 * tracker's: an item carries them so tracking allocates nothing.
 */
export interface Expirable {
  /** On the `elapsedMs()` clock. */
  readonly expiresAt: number;
  expire(): void;
  deadlinePrev: Expirable | null;
  deadlineNext: Expirable | null;
  /** True while the item is in a tracker's list. */
  deadlineTracked: boolean;
}

const EPOCH = Date.now();

/**
 * Milliseconds since this module loaded: the clock of `expiresAt`. A small
 * integer (a V8 Smi for 24 days) where `Date.now()` is a boxed double, so
 * storing a request's deadline allocates nothing.
 */
export function elapsedMs(): number {
  return Date.now() - EPOCH;
}

/**
 * Request timeouts without a timer per request (DESIGN principle 5): every
 * tracked request shares one timeout, so insertion order is deadline order and
 * one coarse interval only ever looks at the oldest entries.
 *
 * An intrusive doubly linked list rather than a Set: a Set that swings between
 * empty and a hundred entries, as in-flight requests do, rehashes and
 * reallocates its table over and over, and that showed up as the costliest
 * line of a small GET in the profile.
 */
export class DeadlineTracker<T extends Expirable> {
  private head: Expirable | null = null;
  private tail: Expirable | null = null;
  private count = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly resolutionMs: number) {}

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    if (item.deadlineTracked) return;
    item.deadlineTracked = true;
    item.deadlinePrev = this.tail;
    item.deadlineNext = null;
    if (this.tail === null) this.head = item;
    else this.tail.deadlineNext = item;
    this.tail = item;
    this.count++;
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(elapsedMs()), this.resolutionMs);
      // Never keeps the process alive by itself.
      this.timer.unref();
    }
  }

  /** Forgets an item; a no-op for one that is not tracked. */
  delete(item: T): void {
    if (!item.deadlineTracked) return;
    item.deadlineTracked = false;
    const prev = item.deadlinePrev;
    const next = item.deadlineNext;
    if (prev === null) this.head = next;
    else prev.deadlineNext = next;
    if (next === null) this.tail = prev;
    else next.deadlinePrev = prev;
    item.deadlinePrev = null;
    item.deadlineNext = null;
    this.count--;
  }

  /** Snapshot of what is tracked, oldest first (for shutdown). */
  values(): T[] {
    const out: T[] = [];
    for (let item = this.head; item !== null; item = item.deadlineNext) out.push(item as T);
    return out;
  }

  clear(): void {
    for (const item of this.values()) this.delete(item);
  }

  sweep(now: number): void {
    // Same timeout for all: the first live deadline ends the scan.
    for (let item = this.head; item !== null && item.expiresAt <= now; item = this.head) {
      this.delete(item as T);
      try {
        item.expire();
      } catch {
        // An expiry must never take the interval (and the process) down.
      }
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
