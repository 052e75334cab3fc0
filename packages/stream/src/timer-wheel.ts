/**
 * A hashed timer wheel (PROTOCOL.md §7.1): thousands of call deadlines cost
 * one host timer, and adding or cancelling a deadline is O(1) with no
 * allocation beyond the entry itself (an intrusive doubly linked list node).
 */
export interface TimerEntry {
  /** Absolute time on the wheel's clock. */
  deadline: number;
  /** Called once when the deadline passes (never after `cancel`). */
  fire(): void;
  /** @internal list links, owned by the wheel. */
  _prev?: TimerEntry | undefined;
  _next?: TimerEntry | undefined;
  _slot?: number | undefined;
}

export interface TimerWheelOptions {
  /** Tick length in ms (default 10): deadlines fire up to one tick late. */
  resolution?: number;
  /** Number of slots (default 512); longer deadlines wait for their round. */
  slots?: number;
  now?: () => number;
  /** Host timer: defaults to an unref'd setTimeout, so an idle wheel never holds the process open. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

class Head implements TimerEntry {
  deadline = 0;
  _prev: TimerEntry | undefined;
  _next: TimerEntry | undefined;
  fire(): void {}
}

export class TimerWheel {
  private readonly resolution: number;
  private readonly heads: Head[];
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;
  private cursorTick: number;
  private count = 0;
  private handle: unknown;
  private readonly onTimer = (): void => {
    this.handle = undefined;
    this.advance();
  };

  constructor(options: TimerWheelOptions = {}) {
    this.resolution = options.resolution ?? 10;
    const slots = options.slots ?? 512;
    this.heads = [];
    for (let i = 0; i < slots; i++) {
      const h = new Head();
      h._prev = h;
      h._next = h;
      this.heads.push(h);
    }
    this.now = options.now ?? (() => performance.now());
    this.setTimer =
      options.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return t;
      });
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
    this.cursorTick = Math.floor(this.now() / this.resolution);
  }

  get size(): number {
    return this.count;
  }

  add(entry: TimerEntry): void {
    if (entry._slot !== undefined) this.cancel(entry);
    if (this.count === 0 && this.handle === undefined) {
      this.cursorTick = Math.floor(this.now() / this.resolution);
    }
    let tick = Math.ceil(entry.deadline / this.resolution);
    if (tick <= this.cursorTick) tick = this.cursorTick + 1;
    const slot = tick % this.heads.length;
    const head = this.heads[slot]!;
    entry._slot = slot;
    entry._prev = head._prev;
    entry._next = head;
    head._prev!._next = entry;
    head._prev = entry;
    this.count++;
    if (this.handle === undefined) this.arm();
  }

  cancel(entry: TimerEntry): void {
    if (entry._slot === undefined) return;
    entry._prev!._next = entry._next;
    entry._next!._prev = entry._prev;
    entry._prev = undefined;
    entry._next = undefined;
    entry._slot = undefined;
    this.count--;
    // The host timer is left to lapse on its own: re-arming it for every
    // sequential call would cost a setTimeout per call after all.
  }

  private arm(): void {
    this.handle = this.setTimer(this.onTimer, this.resolution);
  }

  /** Fires every entry whose deadline has passed. Public so tests can drive a fake clock. */
  advance(): void {
    const now = this.now();
    const target = Math.floor(now / this.resolution);
    const n = this.heads.length;
    // Walk at most one full turn: further ticks map to slots already visited.
    const steps = Math.min(target - this.cursorTick, n);
    const due: TimerEntry[] = [];
    for (let i = 1; i <= steps && this.count > 0; i++) {
      const head = this.heads[(this.cursorTick + i) % n]!;
      let e = head._next!;
      while (e !== head) {
        const next = e._next!;
        if (e.deadline <= now) {
          this.cancel(e);
          due.push(e);
        }
        e = next;
      }
    }
    if (target > this.cursorTick) this.cursorTick = target;
    for (const e of due) e.fire();
    if (this.count > 0 && this.handle === undefined) this.arm();
  }

  /** Drops every entry without firing it and stops the host timer. */
  clear(): void {
    if (this.handle !== undefined) {
      this.clearTimer(this.handle);
      this.handle = undefined;
    }
    for (const head of this.heads) {
      let e = head._next!;
      while (e !== head) {
        const next = e._next!;
        this.cancel(e);
        e = next;
      }
    }
  }
}

/** The process-wide wheel sessions share by default. */
let shared: TimerWheel | undefined;
export function sharedTimerWheel(): TimerWheel {
  shared ??= new TimerWheel();
  return shared;
}
