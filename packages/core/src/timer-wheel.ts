import { preciseNow } from './clock.js';

/**
 * A hashed timer wheel: one runtime timer for any number of deadlines, O(1)
 * add and remove, no allocation per entry (entries are intrusive list nodes —
 * the call objects themselves). Precision is one tick, plenty for deadlines.
 */
export interface WheelEntry {
  /** Absolute expiry on the wheel's clock (`performance.now()` by default). */
  wheelAt: number;
  wheelPrev: WheelEntry | null;
  wheelNext: WheelEntry | null;
  /** Slot index while scheduled, -1 otherwise. */
  wheelSlot: number;
  /** Called once when the entry expires; the entry is already removed. */
  expire(): void;
}

export class TimerWheel {
  private readonly heads: (WheelEntry | null)[];
  private readonly mask: number;
  private cursor = 0;
  private count = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly tickMs = 5,
    slots = 1024,
    private readonly now: () => number = preciseNow,
  ) {
    if ((slots & (slots - 1)) !== 0)
      throw new RangeError('TimerWheel: slots must be a power of two');
    this.heads = new Array<WheelEntry | null>(slots).fill(null);
    this.mask = slots - 1;
  }

  get size(): number {
    return this.count;
  }

  add(entry: WheelEntry, at: number, now: number): void {
    if (entry.wheelSlot >= 0) this.remove(entry);
    if (this.count === 0) this.cursor = Math.floor(now / this.tickMs) - 1;
    let tick = Math.ceil(at / this.tickMs);
    if (tick <= this.cursor) tick = this.cursor + 1;
    const slot = tick & this.mask;
    const head = this.heads[slot] ?? null;
    entry.wheelAt = at;
    entry.wheelPrev = null;
    entry.wheelNext = head;
    if (head) head.wheelPrev = entry;
    this.heads[slot] = entry;
    entry.wheelSlot = slot;
    this.count++;
    if (this.timer === undefined) this.arm();
  }

  remove(entry: WheelEntry): void {
    const slot = entry.wheelSlot;
    if (slot < 0) return;
    const { wheelPrev: prev, wheelNext: next } = entry;
    if (prev) prev.wheelNext = next;
    else this.heads[slot] = next;
    if (next) next.wheelPrev = prev;
    entry.wheelPrev = null;
    entry.wheelNext = null;
    entry.wheelSlot = -1;
    this.count--;
  }

  /** Stops the runtime timer; entries stay (used at shutdown after aborting them). */
  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = setTimeout(this.run, this.tickMs);
    // Deadlines never keep a process alive on their own: the transports do.
    this.timer.unref?.();
  }

  private readonly run = (): void => {
    this.timer = undefined;
    const now = this.now();
    const target = Math.floor(now / this.tickMs);
    const steps = Math.min(target - this.cursor, this.heads.length);
    const due: WheelEntry[] = [];
    for (let i = 1; i <= steps; i++) {
      let e = this.heads[(this.cursor + i) & this.mask] ?? null;
      while (e) {
        const next = e.wheelNext;
        // Entries more than one turn away stay for a later lap.
        if (e.wheelAt <= now) {
          this.remove(e);
          due.push(e);
        }
        e = next;
      }
    }
    this.cursor = target;
    for (const e of due) e.expire();
    if (this.count > 0 && this.timer === undefined) this.arm();
  };
}
