import { describe, expect, it } from 'vitest';
import { type TimerEntry, TimerWheel } from './timer-wheel.js';

function fakeWheel(slots = 8): { wheel: TimerWheel; clock: { t: number }; timers: number } {
  const clock = { t: 0 };
  const state = { timers: 0 };
  const wheel = new TimerWheel({
    resolution: 10,
    slots,
    now: () => clock.t,
    setTimer: () => {
      state.timers++;
      return state.timers;
    },
    clearTimer: () => {},
  });
  return {
    wheel,
    clock,
    get timers() {
      return state.timers;
    },
  };
}

describe('TimerWheel (PROTOCOL.md §7.1)', () => {
  it('fires entries at (or within one tick after) their deadline, in any order of insertion', () => {
    const { wheel, clock } = fakeWheel();
    const fired: number[] = [];
    const mk = (d: number): TimerEntry => ({ deadline: d, fire: () => fired.push(d) });
    for (const d of [35, 5, 20, 400, 1000]) wheel.add(mk(d));
    expect(wheel.size).toBe(5);
    clock.t = 10;
    wheel.advance();
    expect(fired).toEqual([5]);
    clock.t = 40;
    wheel.advance();
    expect(fired.sort((a, b) => a - b)).toEqual([5, 20, 35]);
    // 400 and 1000 are several turns of an 8-slot wheel away
    clock.t = 399;
    wheel.advance();
    expect(fired).toHaveLength(3);
    clock.t = 1000;
    wheel.advance();
    expect(fired).toHaveLength(5);
    expect(wheel.size).toBe(0);
  });

  it('cancel is O(1) and the entry never fires; re-adding moves it', () => {
    const { wheel, clock } = fakeWheel();
    let n = 0;
    const e: TimerEntry = { deadline: 50, fire: () => n++ };
    wheel.add(e);
    wheel.cancel(e);
    wheel.cancel(e);
    expect(wheel.size).toBe(0);
    e.deadline = 80;
    wheel.add(e);
    wheel.add(e);
    expect(wheel.size).toBe(1);
    clock.t = 60;
    wheel.advance();
    expect(n).toBe(0);
    clock.t = 90;
    wheel.advance();
    expect(n).toBe(1);
  });

  it('uses one host timer for many entries', () => {
    const w = fakeWheel(512);
    for (let i = 0; i < 10_000; i++) w.wheel.add({ deadline: 100 + i, fire: () => {} });
    expect(w.timers).toBe(1);
    w.wheel.clear();
    expect(w.wheel.size).toBe(0);
  });

  it('a late host timer (busy loop) still fires everything due', () => {
    const { wheel, clock } = fakeWheel(4);
    const fired: number[] = [];
    for (let d = 10; d <= 200; d += 10) wheel.add({ deadline: d, fire: () => fired.push(d) });
    clock.t = 10_000;
    wheel.advance();
    expect(fired).toHaveLength(20);
  });
});
