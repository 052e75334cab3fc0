/** Something with a deadline that can be told it missed it. */
export interface Expirable {
  readonly expiresAt: number;
  expire(): void;
}

/**
 * Request timeouts without a timer per request (DESIGN principle 5): every
 * tracked request shares one timeout, so insertion order is deadline order and
 * one coarse interval only ever looks at the oldest entries.
 */
export class DeadlineTracker<T extends Expirable> {
  private readonly items = new Set<T>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly resolutionMs: number) {}

  get size(): number {
    return this.items.size;
  }

  add(item: T): void {
    this.items.add(item);
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.sweep(Date.now()), this.resolutionMs);
      // Never keeps the process alive by itself.
      this.timer.unref();
    }
  }

  delete(item: T): void {
    this.items.delete(item);
  }

  /** Snapshot of what is tracked (for shutdown). */
  values(): T[] {
    return [...this.items];
  }

  clear(): void {
    this.items.clear();
  }

  sweep(now: number): void {
    for (const item of this.items) {
      // Same timeout for all: the first live deadline ends the scan.
      if (item.expiresAt > now) break;
      this.items.delete(item);
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
