import fc from 'fast-check';
import { expect, it } from 'vitest';
import { TimerWheel, type WheelEntry } from './timer-wheel.js';

class Entry implements WheelEntry {
  wheelAt = 0;
  wheelPrev: WheelEntry | null = null;
  wheelNext: WheelEntry | null = null;
  wheelSlot = -1;
  expiredAt: number | undefined;
  constructor(private readonly clock: { now: number }) {}
  expire(): void {
    this.expiredAt = this.clock.now;
  }
}

/** Drives the wheel's private tick by hand with a fake clock (no real timers involved in the checks). */
function tick(wheel: TimerWheel): void {
  (wheel as unknown as { run: () => void }).run();
}

it('expires entries at or after their time, never before, and not when removed', () => {
  const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
  try {
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 30_000 }), remove: fc.boolean() }), {
          maxLength: 60,
        }),
        (specs) => {
          const clock = { now: 1000 };
          const wheel = new TimerWheel(5, 64, () => clock.now);
          const entries = specs.map((s) => {
            const e = new Entry(clock);
            wheel.add(e, clock.now + s.at, clock.now);
            return { e, ...s };
          });
          for (const x of entries) if (x.remove) wheel.remove(x.e);
          const end = clock.now + 30_100;
          while (clock.now < end) {
            clock.now += 5;
            tick(wheel);
          }
          wheel.dispose();
          for (const x of entries) {
            if (x.remove) expect(x.e.expiredAt).toBeUndefined();
            else {
              expect(x.e.expiredAt).toBeGreaterThanOrEqual(1000 + x.at);
              expect(x.e.expiredAt! - (1000 + x.at)).toBeLessThanOrEqual(10);
            }
          }
          expect(wheel.size).toBe(0);
        },
      ),
      { seed, numRuns: 50 },
    );
  } catch (error) {
    console.error(`SEED=${seed}`);
    throw error;
  }
});

it('refuses a slot count that is not a power of two', () => {
  expect(() => new TimerWheel(5, 100)).toThrow(RangeError);
});
