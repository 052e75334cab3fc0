import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from './config.js';
import { GossipCore, type Output } from './core.js';
import { Keyring } from './keyring.js';
import { DEFAULT_MESSAGE_LIMITS, decodePacket, encodeMessage, MsgType } from './messages.js';
import { WireWriter } from './wire.js';

const key = randomBytes(32);

function core(name: string, opts: { keyring?: Keyring; label?: string } = {}): GossipCore {
  let x = 0.5;
  return new GossipCore({
    name,
    addr: `${name}:1`,
    config: resolveConfig('lan'),
    random: () => {
      x = ((x * 9301 + 49297) % 233280) / 233280;
      return x;
    },
    now: 0,
    ...opts,
  });
}

/** Wires two cores together directly, delivering every packet and stream until quiet. */
function exchange(a: GossipCore, b: GossipCore, now: number): Output[] {
  const byAddr = new Map([
    [`${a.name}:1`, a],
    [`${b.name}:1`, b],
  ]);
  const addrOf = (c: GossipCore): string => `${c.name}:1`;
  const seen: Output[] = [];
  for (let round = 0; round < 20; round++) {
    let moved = false;
    for (const c of [a, b]) {
      for (const o of c.drain()) {
        seen.push(o);
        const dst = o.kind === 'event' ? undefined : byAddr.get(o.to);
        if (o.kind === 'packet' && dst) {
          dst.receive(now, addrOf(c), o.data);
          moved = true;
        } else if (o.kind === 'stream' && dst) {
          c.streamResult(now, o.id, dst.handleStream(now, addrOf(c), o.data));
          moved = true;
        }
      }
    }
    if (!moved) break;
  }
  return seen;
}

/** A sealed packet from `from` carrying `msgs`. */
function packet(from: GossipCore, msgs: Uint8Array[]): Uint8Array {
  const w = new WireWriter();
  w.arrayHeader(msgs.length);
  for (const m of msgs) w.raw(m);
  return from.guard.seal(w.bytes());
}

describe('GossipCore', () => {
  it('joins through a seed and emits join events on both sides', () => {
    const a = core('a');
    const b = core('b');
    b.join(0, ['a:1']);
    const outs = exchange(a, b, 1);
    const joins = outs.filter((o) => o.kind === 'event' && o.event.type === 'join');
    expect(joins).toHaveLength(2);
    expect(a.member('b')?.status).toBe('alive');
    expect(b.member('a')?.status).toBe('alive');
  });

  it('refutes a suspicion about itself with a higher incarnation', () => {
    const a = core('a');
    const b = core('b');
    b.join(0, ['a:1']);
    exchange(a, b, 1);
    const accuse = encodeMessage({ type: MsgType.Suspect, name: 'b', incarnation: 0, from: 'a' });
    b.receive(2, 'a:1', packet(a, [accuse]));
    expect(b.incarnation).toBe(1);
    expect(b.stats.refutations).toBe(1);
    expect(b.health).toBe(1);
    // A stale claim (old incarnation) changes nothing.
    b.receive(3, 'a:1', packet(a, [accuse]));
    expect(b.stats.refutations).toBe(1);
  });

  it('bounds metadata and broadcast sizes', () => {
    const a = core('a');
    expect(() => a.updateMeta(0, new Uint8Array(513))).toThrow(/maxMetaSize/);
    expect(() => a.broadcast(0, new Uint8Array(1_400))).toThrow(/fit/);
    expect(
      () =>
        new GossipCore({
          name: 'x',
          addr: 'x',
          meta: new Uint8Array(600),
          config: resolveConfig('lan'),
          random: Math.random,
          now: 0,
        }),
    ).toThrow(/meta/);
  });

  it('keeps every packet within maxPacketSize even with a full broadcast queue', () => {
    const a = core('a', { keyring: new Keyring(key) });
    const b = core('b', { keyring: new Keyring(key) });
    b.join(0, ['a:1']);
    exchange(a, b, 1);
    for (let i = 0; i < 200; i++) a.broadcast(2, randomBytes(100));
    let packets = 0;
    for (let t = 0; t < 5_000; t += 50) {
      a.tick(t);
      for (const o of a.drain()) {
        if (o.kind === 'packet') {
          packets++;
          expect(o.data.length).toBeLessThanOrEqual(1_400);
        }
      }
    }
    expect(packets).toBeGreaterThan(10);
  });

  describe('hostile input is dropped silently and counted', () => {
    function pair(label = 'prod'): [GossipCore, GossipCore] {
      const a = core('a', { keyring: new Keyring(key), label });
      const b = core('b', { keyring: new Keyring(key), label });
      b.join(0, ['a:1']);
      exchange(a, b, 1);
      a.drain();
      return [a, b];
    }

    it('random bytes, truncated and oversized packets', () => {
      const [a, b] = pair();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 1_500 }), (bytes) => {
          a.receive(5, 'evil:1', bytes);
          a.handleStream(5, 'evil:1', bytes);
        }),
        { numRuns: 500 },
      );
      const good = packet(b, [
        encodeMessage({ type: MsgType.Ping, seq: 1, target: 'a', source: 'b' }),
      ]);
      for (let i = 0; i < good.length; i++) a.receive(6, 'b:1', good.subarray(0, i));
      a.receive(6, 'b:1', new Uint8Array(1_401));
      const g = a.guard.stats;
      expect(a.stats.oversized).toBeGreaterThanOrEqual(1);
      expect(g.decryptFailed + g.malformedEnvelope + g.labelMismatch).toBeGreaterThan(500);
      expect(
        a
          .members()
          .map((m) => m.name)
          .sort(),
      ).toEqual(['a', 'b']);
      expect(a.drain().filter((o) => o.kind === 'packet')).toHaveLength(0);
    });

    it('valid encryption but garbage inside counts as malformed', () => {
      const [a, b] = pair();
      a.receive(5, 'b:1', b.guard.seal(new Uint8Array([0x91, 0xc1])));
      a.receive(5, 'b:1', b.guard.seal(encodeMessage({ type: MsgType.Ack, seq: 1 })));
      expect(a.stats.malformed).toBe(2);
    });

    it('wrong key and wrong label', () => {
      const [a] = pair('prod');
      const stranger = core('c', { keyring: new Keyring(randomBytes(32)), label: 'prod' });
      const otherCluster = core('d', { keyring: new Keyring(key), label: 'staging' });
      const alive = (c: GossipCore): Uint8Array =>
        packet(c, [
          encodeMessage({
            type: MsgType.Alive,
            name: c.name,
            addr: `${c.name}:1`,
            incarnation: 9,
            meta: new Uint8Array(0),
          }),
        ]);
      a.receive(5, 'c:1', alive(stranger));
      a.receive(5, 'd:1', alive(otherCluster));
      expect(a.guard.stats.decryptFailed).toBe(2);
      expect(a.member('c')).toBeUndefined();
      expect(a.member('d')).toBeUndefined();
    });

    it('replayed packets: exact copies dropped, old state ignored', () => {
      const [a, b] = pair();
      const suspect = packet(b, [
        encodeMessage({ type: MsgType.Suspect, name: 'a', incarnation: 0, from: 'b' }),
      ]);
      a.receive(5, 'b:1', suspect);
      expect(a.incarnation).toBe(1);
      a.receive(6, 'b:1', suspect);
      expect(a.guard.stats.replayed).toBe(1);
      expect(a.incarnation).toBe(1);
      // The same claim re-sent in a fresh envelope (as a replay past the window
      // would be) is stale: the incarnation it accuses was already refuted.
      a.receive(
        7,
        'b:1',
        packet(b, [encodeMessage({ type: MsgType.Suspect, name: 'a', incarnation: 0, from: 'b' })]),
      );
      expect(a.incarnation).toBe(1);
      // A replayed ack matches no pending probe.
      a.receive(8, 'b:1', packet(b, [encodeMessage({ type: MsgType.Ack, seq: 12345 })]));
      expect(a.stats.unmatchedAcks).toBe(1);
    });

    it('a flood of fake members stops at maxMembers', () => {
      const a = new GossipCore({
        name: 'a',
        addr: 'a:1',
        config: resolveConfig('lan'),
        random: Math.random,
        now: 0,
        maxMembers: 50,
      });
      for (let i = 0; i < 200; i++) {
        const w = new WireWriter();
        w.arrayHeader(1);
        w.raw(
          encodeMessage({
            type: MsgType.Alive,
            name: `fake${i}`,
            addr: `f${i}:1`,
            incarnation: 0,
            meta: new Uint8Array(0),
          }),
        );
        a.receive(1, 'x', a.guard.seal(w.bytes()));
      }
      expect(a.members()).toHaveLength(50);
      expect(a.stats.membersRefused).toBe(151);
    });
  });

  describe('suspicion bookkeeping', () => {
    /** A core that knows b, c, d and e as alive (enough members to expect two confirmations). */
    function clusterView(): GossipCore {
      const a = core('a');
      const alive = ['b', 'c', 'd', 'e'].map((n) =>
        encodeMessage({
          type: MsgType.Alive,
          name: n,
          addr: `${n}:1`,
          incarnation: 0,
          meta: new Uint8Array(0),
        }),
      );
      a.receive(0, 'b:1', packet(a, alive));
      a.drain();
      return a;
    }

    it('treats a suspicion at a newer incarnation as a new one, not a confirmation', () => {
      const a = clusterView();
      const suspect = (inc: number, from: string) =>
        packet(a, [encodeMessage({ type: MsgType.Suspect, name: 'b', incarnation: inc, from })]);
      a.receive(0, 'c:1', suspect(0, 'c'));
      expect(a.statusOf('b')).toBe('suspect');
      // b refuted (alive at 1) and we missed it; d now suspects b at 1. Counted
      // as a confirmation of our 20 s old suspicion, it would cut the timeout to
      // below 20 s and b would be declared dead at once.
      a.receive(20_000, 'd:1', suspect(1, 'd'));
      a.tick(20_001);
      expect(a.statusOf('b')).toBe('suspect');
      expect(a.member('b')?.incarnation).toBe(1);
      a.tick(40_000);
      expect(a.statusOf('b')).toBe('suspect');
      expect(a.stats.deathsDeclared).toBe(0);
    });

    it('answers a stale suspicion with the refutation it missed, at most once per gossip interval', () => {
      const a = clusterView();
      const refuted = encodeMessage({
        type: MsgType.Alive,
        name: 'b',
        addr: 'b:1',
        incarnation: 3,
        meta: new Uint8Array(0),
      });
      a.receive(1, 'b:1', packet(a, [refuted]));
      a.drain();
      const stale = packet(a, [
        encodeMessage({ type: MsgType.Suspect, name: 'b', incarnation: 1, from: 'c' }),
      ]);
      a.receive(2, 'c:1', stale);
      const replies = a.drain().filter((o) => o.kind === 'packet' && o.to === 'c:1');
      expect(replies).toHaveLength(1);
      const reply = replies[0] as { data: Uint8Array };
      const body = a.guard.open(reply.data) as Uint8Array;
      const msgs = decodePacket(body, DEFAULT_MESSAGE_LIMITS);
      expect(msgs).toContainEqual(
        expect.objectContaining({ type: MsgType.Alive, name: 'b', incarnation: 3 }),
      );
      expect(a.statusOf('b')).toBe('alive');
      // The same stale claim again right away is not answered again.
      a.receive(
        3,
        'c:1',
        packet(a, [encodeMessage({ type: MsgType.Suspect, name: 'b', incarnation: 1, from: 'e' })]),
      );
      expect(a.drain().filter((o) => o.kind === 'packet' && o.to === 'c:1')).toHaveLength(0);
    });
  });
});
