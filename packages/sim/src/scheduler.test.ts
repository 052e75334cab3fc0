import { describe, expect, it } from 'vitest';
import { Scheduler, StepLimitError } from './scheduler.js';

describe('Scheduler', () => {
  it('runs events in (time, insertion) order and advances the clock', () => {
    const s = new Scheduler();
    const log: string[] = [];
    s.setTimer(10, () => log.push(`b@${s.now()}`));
    s.setTimer(5, () => log.push(`a@${s.now()}`));
    s.setTimer(10, () => log.push(`c@${s.now()}`));
    s.setTimer(0, () => log.push(`z@${s.now()}`));
    s.runAll();
    expect(log).toEqual(['z@0', 'a@5', 'b@10', 'c@10']);
    expect(s.now()).toBe(10);
    expect(s.steps).toBe(4);
  });

  it('cancels timers', () => {
    const s = new Scheduler();
    let fired = 0;
    const cancel = s.setTimer(5, () => fired++);
    expect(s.pending).toBe(1);
    expect(cancel()).toBe(true);
    expect(cancel()).toBe(false);
    expect(s.pending).toBe(0);
    expect(s.step()).toBe(false);
    expect(fired).toBe(0);
  });

  it('keeps the heap small when timers are reset constantly', () => {
    const s = new Scheduler();
    let cancel = s.setTimer(1000, () => {});
    for (let i = 0; i < 50_000; i++) {
      cancel();
      cancel = s.setTimer(1000, () => {});
    }
    expect(s.pending).toBe(1);
    s.runAll();
    expect(s.now()).toBe(1000);
  });

  it('runUntil(time) runs due events and sets the clock', () => {
    const s = new Scheduler();
    const log: number[] = [];
    for (const t of [1, 5, 10, 15]) s.setTimer(t, () => log.push(t));
    s.runUntil(10);
    expect(log).toEqual([1, 5, 10]);
    expect(s.now()).toBe(10);
    s.runFor(2);
    expect(s.now()).toBe(12);
    expect(log).toEqual([1, 5, 10]);
  });

  it('runUntil(predicate) stops when it holds, or reports a drained queue or maxTime', () => {
    const s = new Scheduler();
    let n = 0;
    const tick = () => {
      n++;
      s.setTimer(1, tick);
    };
    s.setTimer(1, tick);
    expect(s.runUntil(() => n >= 5)).toBe(true);
    expect(n).toBe(5);
    expect(s.runUntil(() => false, { maxTime: 20 })).toBe(false);
    expect(s.now()).toBe(20);
    const empty = new Scheduler();
    expect(empty.runUntil(() => false)).toBe(false);
  });

  it('turns a livelock into StepLimitError', () => {
    const s = new Scheduler({ maxSteps: 1000 });
    const spin = () => s.setTimer(0, spin);
    s.setTimer(0, spin);
    expect(() => s.runAll()).toThrow(StepLimitError);
    expect(() => s.runUntil(() => false)).toThrow(/livelock/);
    expect(() => s.runFor(1, { maxSteps: 10 })).toThrow(StepLimitError);
  });

  it('bounds pending events and rejects bad input', () => {
    const s = new Scheduler({ maxPending: 2 });
    s.setTimer(1, () => {});
    s.setTimer(1, () => {});
    expect(() => s.setTimer(1, () => {})).toThrow(/pending/);
    expect(() => s.setTimer(-1, () => {})).toThrow(RangeError);
    expect(() => s.setTimer(Number.NaN, () => {})).toThrow(RangeError);
    expect(() => s.setTimer(Number.POSITIVE_INFINITY, () => {})).toThrow(RangeError);
    expect(() => s.runFor(-1)).toThrow(RangeError);
    expect(() => new Scheduler({ maxSteps: 0 })).toThrow(RangeError);
  });

  it('propagates errors thrown by events', () => {
    const s = new Scheduler();
    s.setTimer(1, () => {
      throw new Error('boom');
    });
    expect(() => s.runAll()).toThrow('boom');
  });
});
