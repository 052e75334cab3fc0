import { describe, expect, it } from 'vitest';
import { Nemesis } from './nemesis.js';
import { Network } from './network.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';

function setup(seed: number, withCallbacks = true) {
  const s = new Scheduler();
  const net = new Network(s, new Prng(seed));
  const nodes = ['a', 'b', 'c', 'd', 'e'];
  for (const n of nodes) net.addNode(n);
  const crashed = new Set<string>();
  const paused = new Set<string>();
  let maxDown = 0;
  const log: string[] = [];
  const track = () => {
    maxDown = Math.max(maxDown, crashed.size + paused.size);
  };
  const target = withCallbacks
    ? {
        nodes,
        network: net,
        crash: (n: string) => {
          crashed.add(n);
          track();
        },
        restart: (n: string) => void crashed.delete(n),
        pause: (n: string) => {
          paused.add(n);
          track();
        },
        resume: (n: string) => void paused.delete(n),
        jumpClock: () => {},
        log: (l: string) => log.push(l),
      }
    : { nodes, network: net, log: (l: string) => log.push(l) };
  return { s, net, nodes, crashed, paused, log, target, maxDown: () => maxDown };
}

describe('Nemesis', () => {
  it('injects mixed faults, respects maxDown, then heals everything', () => {
    const t = setup(1);
    const nem = new Nemesis(t.target, t.s, new Prng(1), { duration: 20_000 });
    const healedAt = nem.start();
    expect(healedAt).toBe(20_000);
    let sawPartition = false;
    t.s.runUntil(() => {
      if (!t.net.connected('a', 'b') || !t.net.connected('c', 'd') || !t.net.connected('e', 'a')) {
        sawPartition = true;
      }
      return t.s.now() >= healedAt;
    });
    t.s.runAll();
    expect(sawPartition).toBe(true);
    for (const k of ['partition', 'crash', 'pause', 'clock', 'message'] as const) {
      expect(nem.counts[k]).toBeGreaterThan(0);
    }
    expect(t.maxDown()).toBeLessThanOrEqual(2);
    expect(t.crashed.size + t.paused.size).toBe(0);
    for (const a of t.nodes)
      for (const b of t.nodes) if (a !== b) expect(t.net.connected(a, b)).toBe(true);
    expect(t.net.linkConfig('a', 'b').drop).toBe(0);
    expect(t.log.at(-1)).toBe('nemesis: healed');
    expect(nem.isRunning).toBe(false);
  });

  it('is reproducible from its seed', () => {
    const run = (seed: number) => {
      const t = setup(seed);
      new Nemesis(t.target, t.s, new Prng(seed), { duration: 5000 }).start();
      t.s.runAll();
      return t.log.join('\n');
    };
    expect(run(9)).toBe(run(9));
    expect(run(9)).not.toBe(run(10));
  });

  it('only uses faults it has callbacks for, honours weights, and can stop early', () => {
    const t = setup(2, false);
    const nem = new Nemesis(t.target, t.s, new Prng(2), {
      duration: 10_000,
      weights: { message: 0 },
    });
    nem.start();
    t.s.runFor(3000);
    nem.stop();
    expect(nem.isRunning).toBe(false);
    expect(nem.counts.partition).toBeGreaterThan(0);
    expect(nem.counts.crash + nem.counts.pause + nem.counts.clock + nem.counts.message).toBe(0);
    t.s.runAll();
    expect(t.s.now()).toBeLessThan(10_000); // timers cancelled by stop
  });

  it('restores per-link settings the test made, and leaves defaults alone', () => {
    const t = setup(4);
    t.net.configureLink('a', 'b', { latency: 42 });
    const nem = new Nemesis(t.target, t.s, new Prng(4), {
      duration: 20_000,
      weights: { message: 5, partition: 1, crash: 0, pause: 0, clock: 0 },
    });
    nem.start();
    let changed = false;
    t.s.runUntil(() => {
      if (t.net.linkConfig('a', 'b').drop > 0) changed = true;
      return t.s.now() >= 20_000;
    });
    t.s.runAll();
    expect(changed).toBe(true);
    expect(t.net.linkOverride('a', 'b')).toEqual({ latency: 42 });
    expect(t.net.linkOverride('b', 'a')).toBeUndefined();
    expect(t.net.linkConfig('c', 'd').drop).toBe(0);
  });

  it('rejects bad options', () => {
    const t = setup(1);
    expect(() => new Nemesis(t.target, t.s, new Prng(1), { duration: -1 })).toThrow(RangeError);
    expect(
      () => new Nemesis(t.target, t.s, new Prng(1), { duration: 1, weights: { crash: -1 } }),
    ).toThrow(RangeError);
    expect(
      () => new Nemesis({ nodes: [], network: t.net }, t.s, new Prng(1), { duration: 1 }),
    ).toThrow(/no nodes/);
    expect(() => new Nemesis(t.target, t.s, new Prng(1), { duration: 1, maxDown: -1 })).toThrow(
      /maxDown/,
    );
    expect(() => new Nemesis(t.target, t.s, new Prng(1), { duration: 1, hold: -5 })).toThrow(
      RangeError,
    );
    expect(
      () => new Nemesis(t.target, t.s, new Prng(1), { duration: 1, interval: { min: 9, max: 1 } }),
    ).toThrow(RangeError);
    expect(
      () => new Nemesis(t.target, t.s, new Prng(1), { duration: 1, maxClockJump: Number.NaN }),
    ).toThrow(/maxClockJump/);
    const nem = new Nemesis(t.target, t.s, new Prng(1), { duration: 1 });
    nem.start();
    expect(() => nem.start()).toThrow(/already/);
  });
});
