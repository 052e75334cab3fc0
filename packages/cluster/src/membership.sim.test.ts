import { forEachSeed, type Prng } from '@switchyard/sim';
import { describe, expect, it } from 'vitest';
import { MemberTable } from './member-table.js';
import type { NodeInfo } from './node-info.js';
import { rendezvousOwner } from './rendezvous.js';

/**
 * The membership exchange of cluster-node.ts (sync → heard/learned → reply)
 * over a simulated network with latency, loss, crashes, restarts and graceful
 * leaves, in virtual time. After the faults stop, every running node must
 * agree on the live set and so place every key on the same owner, and never
 * on a node that is down. Seeds: SEED=… replays one, SIM_SEEDS=n runs more.
 */

interface SimNode {
  id: string;
  up: boolean;
  left: boolean;
  incarnation: number;
  table: MemberTable;
}

interface Msg {
  at: number;
  to: string;
  from: string;
  kind: 'sync' | 'reply' | 'leave';
  info: NodeInfo;
  members: NodeInfo[];
}

const SYNC = 250;
const OPTS = { suspectAfter: 1000, deadAfter: 2000, forgetAfter: 30_000, maxMembers: 64 };

function infoOf(n: SimNode): NodeInfo {
  return {
    id: n.id,
    stream: `10.0.0.${n.id.slice(1)}:7000`,
    gateways: {},
    groups: [],
    incarnation: n.incarnation,
  };
}

function runScenario(rng: Prng): void {
  const count = rng.int(3, 7);
  const nodes = new Map<string, SimNode>();
  const byAddress = new Map<string, string>();
  for (let i = 1; i <= count; i++) {
    const n: SimNode = {
      id: `n${i}`,
      up: true,
      left: false,
      incarnation: 1,
      table: undefined as unknown as MemberTable,
    };
    n.table = new MemberTable(infoOf(n), OPTS);
    nodes.set(n.id, n);
    byAddress.set(infoOf(n).stream, n.id);
  }
  const seed = infoOf(nodes.get('n1') as SimNode).stream;
  const queue: Msg[] = [];
  const send = (m: Omit<Msg, 'at'>, now: number): void => {
    if (rng.chance(0.05)) return; // lost
    const at = now + rng.int(1, 30);
    let i = queue.length;
    while (i > 0 && (queue[i - 1] as Msg).at > at) i--;
    queue.splice(i, 0, { ...m, at });
  };
  const faultsUntil = 6000;
  const end = faultsUntil + OPTS.deadAfter + 3 * SYNC + 500;
  for (let now = 0; now <= end; now += 5) {
    // Deliver what is due.
    while (queue.length > 0 && (queue[0] as Msg).at <= now) {
      const m = queue.shift() as Msg;
      const to = nodes.get(m.to);
      if (!to?.up) continue;
      if (m.kind === 'leave') {
        to.table.left(m.info.id, m.info.incarnation, now);
        continue;
      }
      to.table.heard(m.info, now);
      for (const x of m.members) to.table.learned(x, now);
      if (m.kind === 'sync') {
        send(
          {
            to: m.from,
            from: to.id,
            kind: 'reply',
            info: infoOf(to),
            members: to.table.relayable(),
          },
          now,
        );
      }
    }
    // Faults, only in the first phase.
    if (now < faultsUntil && rng.chance(0.004)) {
      const victim = rng.pick([...nodes.values()].filter((n) => n.id !== 'n1'));
      if (victim.up) {
        if (rng.chance(0.3)) {
          victim.left = true;
          for (const p of victim.table.peers()) {
            const pid = byAddress.get(p.stream) as string;
            send(
              { to: pid, from: victim.id, kind: 'leave', info: infoOf(victim), members: [] },
              now,
            );
          }
        }
        victim.up = false;
      } else {
        // Restart: a fresh table, a higher incarnation.
        victim.up = true;
        victim.left = false;
        victim.incarnation++;
        victim.table = new MemberTable(infoOf(victim), OPTS);
      }
    }
    // Sync rounds.
    if (now % SYNC === 0) {
      for (const n of nodes.values()) {
        if (!n.up) continue;
        const targets = new Set(n.table.peers().map((p) => byAddress.get(p.stream) as string));
        const seedId = byAddress.get(seed) as string;
        if (seedId !== n.id) targets.add(seedId);
        for (const t of targets) {
          send(
            { to: t, from: n.id, kind: 'sync', info: infoOf(n), members: n.table.relayable() },
            now,
          );
        }
      }
    }
    for (const n of nodes.values()) if (n.up) n.table.tick(now);
  }
  const running = [...nodes.values()]
    .filter((n) => n.up)
    .map((n) => n.id)
    .sort();
  const keys = Array.from({ length: 100 }, (_, i) => `key-${i}`);
  for (const id of running) {
    const view = (nodes.get(id) as SimNode).table.live().sort();
    expect(view, `view of ${id}`).toEqual(running);
    for (const k of keys) expect(rendezvousOwner(k, view)).toBe(rendezvousOwner(k, running));
  }
}

describe('membership and placement in simulation', () => {
  it('running nodes converge on one live set and one owner per key after crashes, restarts and leaves', () => {
    const seeds: number[] = [];
    forEachSeed(
      (seed, rng) => {
        seeds.push(seed);
        runScenario(rng);
      },
      { count: 25 },
    );
    console.log(
      `membership simulation: seeds ${seeds[0]}..${seeds[seeds.length - 1]} (replay one with SEED=…)`,
    );
  });
});
