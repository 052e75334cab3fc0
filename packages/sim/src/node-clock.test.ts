import { describe, expect, it } from 'vitest';
import { NodeClock } from './node-clock.js';
import { Scheduler } from './scheduler.js';

describe('NodeClock', () => {
  it('jumps wall time without moving timers', () => {
    const s = new Scheduler();
    const c = new NodeClock(s);
    let at = -1;
    c.setTimer(10, () => {
      at = s.now();
    });
    c.jump(-5000);
    expect(c.now()).toBe(-5000);
    expect(c.monotonic()).toBe(0);
    s.runAll();
    expect(at).toBe(10);
    expect(c.skew).toBe(-5000);
    expect(() => c.jump(Number.NaN)).toThrow(RangeError);
  });

  it('defers timers while paused, cancels on reset', () => {
    const s = new Scheduler();
    const c = new NodeClock(s);
    const log: number[] = [];
    c.setTimer(5, () => log.push(s.now()));
    const cancel = c.setTimer(6, () => log.push(-1));
    c.pause();
    s.runFor(50);
    expect(log).toEqual([]);
    expect(cancel()).toBe(true);
    c.resume();
    s.runAll();
    expect(log).toEqual([50]);
    c.setTimer(1, () => log.push(99));
    expect(c.activeTimers).toBe(1);
    c.reset();
    s.runAll();
    expect(log).toEqual([50]);
    expect(c.activeTimers).toBe(0);
  });

  it('bounds live timers', () => {
    const c = new NodeClock(new Scheduler(), { maxTimers: 2 });
    c.setTimer(1, () => {});
    c.setTimer(1, () => {});
    expect(() => c.setTimer(1, () => {})).toThrow(/live timers/);
  });
});
