import { describe, expect, it } from 'vitest';
import { DeadlineTracker, type Expirable } from './deadline-tracker.js';

function item(expiresAt: number, log: number[]): Expirable {
  return {
    expiresAt,
    expire: () => {
      log.push(expiresAt);
      if (expiresAt === 2) throw new Error('a broken expiry must not stop the sweep');
    },
    deadlinePrev: null,
    deadlineNext: null,
    deadlineTracked: false,
  };
}

describe('DeadlineTracker', () => {
  it('expires the oldest entries up to now, each once, and survives throwing expiries', () => {
    const log: number[] = [];
    const tracker = new DeadlineTracker<Expirable>(1000);
    const items = [1, 2, 3, 10].map((t) => item(t, log));
    for (const i of items) tracker.add(i);
    tracker.delete(items[2]!);
    tracker.sweep(5);
    expect(log).toEqual([1, 2]);
    expect(tracker.size).toBe(1);
    tracker.sweep(5);
    expect(log).toEqual([1, 2]);
    tracker.sweep(10);
    expect(log).toEqual([1, 2, 10]);
    expect(tracker.size).toBe(0);
    tracker.stop();
  });

  it('ignores adding a tracked item twice and deleting an untracked one', () => {
    const tracker = new DeadlineTracker<Expirable>(1000);
    const [a, b, c] = [1, 2, 3].map((t) => item(t, []));
    tracker.add(a!);
    tracker.add(a!);
    tracker.add(b!);
    tracker.add(c!);
    expect(tracker.size).toBe(3);
    tracker.delete(b!);
    tracker.delete(b!);
    expect(tracker.size).toBe(2);
    expect(tracker.values()).toEqual([a, c]);
    tracker.delete(a!);
    tracker.delete(c!);
    expect(tracker.values()).toEqual([]);
    // The list is reusable once emptied from both ends.
    tracker.add(b!);
    expect(tracker.values()).toEqual([b]);
    tracker.clear();
    expect(tracker.size).toBe(0);
    tracker.stop();
  });
});
