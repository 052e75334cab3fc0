import { EventHeap, type SimEvent } from './event-heap.js';

/** Thrown when a run exceeds its step budget: a livelock becomes an error, not a hang. */
export class StepLimitError extends Error {
  constructor(
    readonly steps: number,
    readonly time: number,
  ) {
    super(
      `simulation exceeded ${steps} steps (virtual time ${time} ms): livelock, or raise maxSteps`,
    );
    this.name = 'StepLimitError';
  }
}

export interface SchedulerOptions {
  /** Virtual time at start, ms. Default 0. */
  startTime?: number;
  /** Most events one run call (runUntil/runFor/runAll) may execute. Default 1,000,000. */
  maxSteps?: number;
  /** Most events that may be pending at once. Default 1,000,000. */
  maxPending?: number;
}

export interface RunOptions {
  /** Overrides the scheduler's step budget for this call. */
  maxSteps?: number;
  /** With a predicate: give up (return false) once virtual time would pass this. */
  maxTime?: number;
}

/** Cancels a timer; returns true if it was still pending. */
export type CancelTimer = () => boolean;

/**
 * The virtual clock and event loop. Nothing advances time but this: an event
 * runs, and `now()` jumps to the next event's time. Time is in milliseconds
 * and may be fractional.
 */
export class Scheduler {
  private readonly heap = new EventHeap();
  private time: number;
  private seq = 0;
  private live = 0;
  private executed = 0;
  readonly maxSteps: number;
  readonly maxPending: number;

  constructor(options: SchedulerOptions = {}) {
    this.time = options.startTime ?? 0;
    this.maxSteps = options.maxSteps ?? 1_000_000;
    this.maxPending = options.maxPending ?? 1_000_000;
    if (!Number.isFinite(this.time)) throw new RangeError('startTime must be finite');
    if (!(this.maxSteps > 0)) throw new RangeError('maxSteps must be > 0');
    if (!(this.maxPending > 0)) throw new RangeError('maxPending must be > 0');
  }

  /** Current virtual time, ms. */
  now(): number {
    return this.time;
  }

  /** Number of events still scheduled (cancelled ones excluded). */
  get pending(): number {
    return this.live;
  }

  /** Events executed since creation. */
  get steps(): number {
    return this.executed;
  }

  /** Runs fn after `delay` ms of virtual time. Returns a cancel function. */
  setTimer(delay: number, fn: () => void): CancelTimer {
    if (!(delay >= 0) || !Number.isFinite(delay)) {
      throw new RangeError(`setTimer: delay must be a finite number >= 0, got ${delay}`);
    }
    return this.at(this.time + delay, fn);
  }

  /** Runs fn at absolute virtual time `time` (not before now). */
  at(time: number, fn: () => void): CancelTimer {
    if (!Number.isFinite(time) || time < this.time) {
      throw new RangeError(`at: time ${time} is in the past or not finite (now ${this.time})`);
    }
    if (typeof fn !== 'function') throw new TypeError('setTimer: fn must be a function');
    if (this.live >= this.maxPending) {
      throw new RangeError(`scheduler: more than ${this.maxPending} pending events`);
    }
    const ev: SimEvent = { time, seq: this.seq++, fn };
    this.heap.push(ev);
    this.live++;
    return () => {
      if (ev.fn === null) return false;
      ev.fn = null;
      this.live--;
      // Timers that are reset constantly (election timeouts) leave cancelled
      // entries behind; compact so the heap stays proportional to live events.
      if (this.heap.length > 1024 && this.heap.length > 4 * this.live) this.heap.compact();
      return true;
    };
  }

  /** Time of the next pending event, or undefined if none. */
  nextTime(): number | undefined {
    this.dropCancelled();
    return this.heap.peek()?.time;
  }

  /** Runs the next event. Returns false if nothing was pending. */
  step(): boolean {
    this.dropCancelled();
    const ev = this.heap.pop();
    if (ev === undefined) return false;
    const fn = ev.fn as () => void;
    ev.fn = null;
    this.live--;
    this.time = ev.time;
    this.executed++;
    fn();
    return true;
  }

  /**
   * With a time: runs every event due at or before `time`, then sets the clock
   * to `time`; returns true. With a predicate: runs events until it holds
   * (checked before each event) and returns true, or returns false when the
   * queue drains or `maxTime` would be passed. Throws StepLimitError past the
   * step budget.
   */
  runUntil(target: number | (() => boolean), options: RunOptions = {}): boolean {
    const budget = options.maxSteps ?? this.maxSteps;
    let n = 0;
    if (typeof target === 'number') {
      if (!Number.isFinite(target)) throw new RangeError('runUntil: time must be finite');
      for (;;) {
        const next = this.nextTime();
        if (next === undefined || next > target) break;
        if (n++ >= budget) throw new StepLimitError(budget, this.time);
        this.step();
      }
      if (target > this.time) this.time = target;
      return true;
    }
    const maxTime = options.maxTime ?? Number.POSITIVE_INFINITY;
    for (;;) {
      if (target()) return true;
      const next = this.nextTime();
      if (next === undefined) return false;
      if (next > maxTime) {
        this.time = Math.max(this.time, maxTime);
        return false;
      }
      if (n++ >= budget) throw new StepLimitError(budget, this.time);
      this.step();
    }
  }

  /** Runs for `ms` of virtual time from now. */
  runFor(ms: number, options: RunOptions = {}): void {
    if (!(ms >= 0)) throw new RangeError(`runFor: ms must be >= 0, got ${ms}`);
    this.runUntil(this.time + ms, options);
  }

  /** Runs until no event is pending. Throws StepLimitError past the step budget. */
  runAll(options: RunOptions = {}): void {
    const budget = options.maxSteps ?? this.maxSteps;
    let n = 0;
    while (this.nextTime() !== undefined) {
      if (n++ >= budget) throw new StepLimitError(budget, this.time);
      this.step();
    }
  }

  private dropCancelled(): void {
    for (;;) {
      const top = this.heap.peek();
      if (top === undefined || top.fn !== null) return;
      this.heap.pop();
    }
  }
}
