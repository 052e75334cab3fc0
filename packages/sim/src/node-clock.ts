import type { CancelTimer, Scheduler } from './scheduler.js';

interface NodeTimer {
  cancelInner: CancelTimer;
  fn: () => void;
  done: boolean;
}

/**
 * One node's view of time. Its wall clock may be offset or jumped (the
 * nemesis skews clocks) while timers keep measuring true elapsed time, like a
 * monotonic clock. Pausing defers due timers until resume (a stalled
 * process); `reset` cancels everything (a crash).
 */
export class NodeClock {
  private offset: number;
  private paused = false;
  private readonly timers = new Set<NodeTimer>();
  private deferred: NodeTimer[] = [];
  private readonly maxTimers: number;

  constructor(
    private readonly scheduler: Scheduler,
    options: { offset?: number; maxTimers?: number } = {},
  ) {
    this.offset = options.offset ?? 0;
    this.maxTimers = options.maxTimers ?? 100_000;
  }

  /** This node's wall-clock time, ms (virtual time plus the node's skew). */
  now(): number {
    return this.scheduler.now() + this.offset;
  }

  /** True elapsed virtual time, unaffected by jumps: use for timeouts. */
  monotonic(): number {
    return this.scheduler.now();
  }

  /** Current skew relative to virtual time, ms. */
  get skew(): number {
    return this.offset;
  }

  /** Steps the wall clock by `ms` (negative: backwards). Timers are unaffected. */
  jump(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`jump: ms must be finite, got ${ms}`);
    this.offset += ms;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Live timers (scheduled or deferred by a pause). */
  get activeTimers(): number {
    return this.timers.size;
  }

  /** Runs fn after `delay` ms unless reset first; while paused, it waits for resume. */
  setTimer(delay: number, fn: () => void): CancelTimer {
    if (this.timers.size >= this.maxTimers) {
      throw new RangeError(`node clock: more than ${this.maxTimers} live timers`);
    }
    const t: NodeTimer = { cancelInner: () => false, fn, done: false };
    t.cancelInner = this.scheduler.setTimer(delay, () => this.fire(t));
    this.timers.add(t);
    return () => {
      if (t.done) return false;
      t.done = true;
      this.timers.delete(t);
      t.cancelInner();
      return true;
    };
  }

  pause(): void {
    this.paused = true;
  }

  /** Runs timers that came due during the pause, in due order, at the current time. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const due = this.deferred;
    this.deferred = [];
    for (const t of due) {
      if (t.done) continue;
      t.cancelInner = this.scheduler.setTimer(0, () => this.fire(t));
    }
  }

  /** Cancels every timer and clears the pause (the process died). */
  reset(): void {
    for (const t of this.timers) {
      t.done = true;
      t.cancelInner();
    }
    this.timers.clear();
    this.deferred = [];
    this.paused = false;
  }

  private fire(t: NodeTimer): void {
    if (t.done) return;
    if (this.paused) {
      this.deferred.push(t);
      return;
    }
    t.done = true;
    this.timers.delete(t);
    t.fn();
  }
}
