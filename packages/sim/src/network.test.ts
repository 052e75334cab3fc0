import { describe, expect, it } from 'vitest';
import { Network } from './network.js';
import { Prng } from './prng.js';
import { Scheduler } from './scheduler.js';

type Msg = { type: string; n: number };

function setup(nodes = ['a', 'b', 'c'], seed = 1) {
  const sched = new Scheduler();
  const net = new Network<Msg>(sched, new Prng(seed), { defaults: { latency: 1 } });
  const got: Record<string, Array<{ from: string; n: number; at: number }>> = {};
  for (const n of nodes) {
    got[n] = [];
    net.addNode(n, (m, from) => got[n]!.push({ from, n: m.n, at: sched.now() }));
  }
  return { sched, net, got };
}

describe('Network', () => {
  it('delivers through the scheduler after the link latency', () => {
    const { sched, net, got } = setup();
    expect(net.send('a', 'b', { type: 'x', n: 1 })).toBe(true);
    expect(got.b).toEqual([]);
    sched.runAll();
    expect(got.b).toEqual([{ from: 'a', n: 1, at: 1 }]);
    expect(net.counters.sent).toBe(1);
    expect(net.counters.delivered).toBe(1);
    expect(net.counters.inFlight).toBe(0);
    expect(net.counters.byType.get('x')).toEqual({ sent: 1, delivered: 1, dropped: 0 });
  });

  it('rejects unknown nodes, duplicates and bad link settings', () => {
    const { net } = setup();
    expect(() => net.send('a', 'zz', { type: 'x', n: 1 })).toThrow(/unknown node/);
    expect(() => net.send('zz', 'a', { type: 'x', n: 1 })).toThrow(/unknown node/);
    expect(() => net.addNode('a')).toThrow(/exists/);
    expect(() => net.configure({ drop: 2 })).toThrow(RangeError);
    expect(() => net.configureLink('a', 'b', { latency: -1 })).toThrow(RangeError);
    expect(() => net.configureLink('a', 'b', { latency: { min: 5, max: 1 } })).toThrow(RangeError);
    expect(() => net.configureLink('a', 'b', { bandwidth: 0 })).toThrow(RangeError);
  });

  it('drops with the configured probability, deterministically per seed', () => {
    const run = (seed: number) => {
      const { sched, net, got } = setup(['a', 'b'], seed);
      net.configureLink('a', 'b', { drop: 0.5 });
      for (let i = 0; i < 1000; i++) net.send('a', 'b', { type: 'x', n: i });
      sched.runAll();
      return got.b!.map((g) => g.n);
    };
    const r1 = run(5);
    expect(r1.length).toBeGreaterThan(400);
    expect(r1.length).toBeLessThan(600);
    expect(run(5)).toEqual(r1);
    expect(run(6)).not.toEqual(r1);
  });

  it('duplicates and reorders; fifo keeps order', () => {
    const { sched, net, got } = setup(['a', 'b']);
    net.configureLink('a', 'b', { duplicate: 1 });
    net.send('a', 'b', { type: 'x', n: 1 });
    sched.runAll();
    expect(got.b!.map((g) => g.n)).toEqual([1, 1]);
    expect(net.counters.duplicated).toBe(1);

    const r = setup(['a', 'b'], 3);
    r.net.configureLink('a', 'b', { latency: { min: 1, max: 20 } });
    for (let i = 0; i < 50; i++) r.net.send('a', 'b', { type: 'x', n: i });
    r.sched.runAll();
    const order = r.got.b!.map((g) => g.n);
    expect(order).not.toEqual([...order].sort((x, y) => x - y));

    const f = setup(['a', 'b'], 3);
    f.net.configureLink('a', 'b', { latency: { min: 1, max: 20 }, reorder: 0.5, fifo: true });
    for (let i = 0; i < 50; i++) f.net.send('a', 'b', { type: 'x', n: i });
    f.sched.runAll();
    expect(f.got.b!.map((g) => g.n)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('caps bandwidth: messages queue behind each other', () => {
    const sched = new Scheduler();
    const net = new Network<Uint8Array>(sched, new Prng(1), {
      defaults: { latency: 0, bandwidth: 100 },
    });
    const at: number[] = [];
    net.addNode('a');
    net.addNode('b', () => at.push(sched.now()));
    for (let i = 0; i < 3; i++) net.send('a', 'b', new Uint8Array(1000));
    sched.runAll();
    expect(at).toEqual([10, 20, 30]);
    expect(net.counters.bytesSent).toBe(3000);
  });

  it('partitions both ways, one way, isolates, heals, and loses in-flight messages', () => {
    const { sched, net, got } = setup();
    net.partition(['a'], ['b']);
    expect(net.send('a', 'b', { type: 'x', n: 1 })).toBe(false);
    expect(net.send('b', 'a', { type: 'x', n: 2 })).toBe(false);
    expect(net.send('a', 'c', { type: 'x', n: 3 })).toBe(true);
    net.heal();
    net.partitionOneWay(['a'], ['b']);
    expect(net.connected('a', 'b')).toBe(false);
    expect(net.connected('b', 'a')).toBe(true);
    expect(net.send('b', 'a', { type: 'x', n: 4 })).toBe(true);
    net.heal();
    net.send('a', 'b', { type: 'x', n: 5 });
    net.isolate('a'); // cut while message 5 is in flight
    sched.runAll();
    expect(got.b).toEqual([]);
    expect(got.a!.map((g) => g.n)).toEqual([]); // 4 was in flight when a got isolated
    expect(got.c).toEqual([]); // 3 (a → c) too: isolation cuts every link of a
    expect(net.counters.droppedBy.partition).toBe(5);
    net.heal();
    net.send('a', 'b', { type: 'x', n: 6 });
    sched.runAll();
    expect(got.b!.map((g) => g.n)).toEqual([6]);
  });

  it('healPartitions keeps link settings; overrides can be read and replaced', () => {
    const { net } = setup();
    net.configureLink('a', 'b', { drop: 0.5 });
    net.configureLink('a', 'b', { duplicate: 0.1 }); // merges
    expect(net.linkOverride('a', 'b')).toEqual({ drop: 0.5, duplicate: 0.1 });
    expect(net.linkConfig('a', 'b').latency).toBe(1); // defaults underneath
    net.configure({ latency: 7 });
    expect(net.linkConfig('a', 'b').latency).toBe(7);
    expect(net.linkConfig('a', 'b').drop).toBe(0.5);
    net.isolate('a');
    net.healPartitions();
    expect(net.connected('a', 'b')).toBe(true);
    expect(net.linkConfig('a', 'b').drop).toBe(0.5);
    net.setLinkOverride('a', 'b', undefined);
    expect(net.linkOverride('a', 'b')).toBeUndefined();
    expect(net.linkConfig('a', 'b').drop).toBe(0);
    net.setLinkOverride('a', 'b', { drop: 1 });
    expect(net.linkConfig('a', 'b').drop).toBe(1);
    expect(() => net.setLinkOverride('a', 'b', { drop: 3 })).toThrow(RangeError);
    expect(() => net.linkOverride('a', 'zz')).toThrow(/unknown node/);
    expect(() => net.partition(['a'], ['zz'])).toThrow(/unknown node/);
    expect(() => net.connected('zz', 'a')).toThrow(/unknown node/);
  });

  it('default partition side is everyone else', () => {
    const { net } = setup(['a', 'b', 'c', 'd']);
    net.partition(['a', 'b']);
    expect(net.connected('a', 'b')).toBe(true);
    expect(net.connected('a', 'c')).toBe(false);
    expect(net.connected('d', 'b')).toBe(false);
    expect(net.connected('c', 'd')).toBe(true);
  });

  it('filters by message type and removes filters', () => {
    const { sched, net, got } = setup();
    const remove = net.dropTypes(['vote'], { to: ['b'] });
    net.send('a', 'b', { type: 'vote', n: 1 });
    net.send('a', 'b', { type: 'append', n: 2 });
    net.send('a', 'c', { type: 'vote', n: 3 });
    remove();
    net.send('a', 'b', { type: 'vote', n: 4 });
    sched.runAll();
    expect(got.b!.map((g) => g.n)).toEqual([2, 4]);
    expect(got.c!.map((g) => g.n)).toEqual([3]);
    expect(net.counters.droppedBy.filter).toBe(1);
    expect(net.counters.byType.get('vote')).toEqual({ sent: 3, delivered: 2, dropped: 1 });
  });

  it('down nodes neither send nor receive; paused nodes get held messages on resume', () => {
    const { sched, net, got } = setup();
    net.setUp('b', false);
    net.send('a', 'b', { type: 'x', n: 1 });
    expect(net.send('b', 'a', { type: 'x', n: 2 })).toBe(false);
    sched.runAll();
    expect(got.b).toEqual([]);
    expect(net.counters.droppedBy.down).toBe(2);
    net.setUp('b', true);
    net.pause('b');
    net.send('a', 'b', { type: 'x', n: 3 });
    net.send('a', 'b', { type: 'x', n: 4 });
    sched.runFor(100);
    expect(got.b).toEqual([]);
    net.resume('b');
    sched.runAll();
    expect(got.b!.map((g) => [g.n, g.at])).toEqual([
      [3, 101],
      [4, 101],
    ]);
  });

  it('bounds in-flight messages', () => {
    const sched = new Scheduler();
    const net = new Network<Msg>(sched, new Prng(1), { maxInFlight: 10 });
    net.addNode('a');
    net.addNode('b');
    let ok = 0;
    for (let i = 0; i < 20; i++) if (net.send('a', 'b', { type: 'x', n: i })) ok++;
    expect(ok).toBe(10);
    expect(net.counters.droppedBy.overflow).toBe(10);
  });

  it('clones messages when asked and reports to a tap', () => {
    const sched = new Scheduler();
    const events: string[] = [];
    const net = new Network<Msg>(sched, new Prng(1), {
      clone: structuredClone,
      tap: (kind, e, reason) => events.push(`${kind}:${e.message.n}${reason ? `:${reason}` : ''}`),
    });
    const orig = { type: 'x', n: 1 };
    let received: Msg | undefined;
    net.addNode('a');
    net.addNode('b', (m) => {
      received = m;
    });
    net.send('a', 'b', orig);
    net.isolate('a');
    net.send('a', 'b', { type: 'x', n: 2 });
    net.heal();
    sched.runAll();
    expect(received).toEqual(orig);
    expect(received).not.toBe(orig);
    expect(events).toEqual(['send:1', 'send:2', 'drop:2:partition', 'deliver:1']);
  });
});
