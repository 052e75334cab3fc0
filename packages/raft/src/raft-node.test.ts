import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwitchyardError } from '@switchyard/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type KvCommand, KvStateMachine } from './kv-state-machine.js';
import { lmdbStorage } from './lmdb-storage.js';
import { memoryStorage } from './memory-storage.js';
import { MemoryNetwork } from './memory-transport.js';
import { createRaftNode, type RaftNode } from './raft-node.js';
import type { RaftStorage } from './storage.js';

type KvNode = RaftNode<KvCommand, unknown, string, unknown>;

const open: KvNode[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(
  net: MemoryNetwork,
  id: string,
  peers: string[],
  storage: RaftStorage = memoryStorage(),
  extra: Partial<Parameters<typeof createRaftNode>[0]> = {},
): Promise<{ node: KvNode; sm: KvStateMachine; storage: RaftStorage }> {
  const sm = new KvStateMachine();
  const node = (await createRaftNode<KvCommand, unknown, string, unknown>({
    id,
    peers,
    storage,
    stateMachine: sm,
    transport: net.transport(id),
    tickMs: 10,
    ...(extra as object),
  })) as KvNode;
  open.push(node);
  return { node, sm, storage };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function cluster(ids = ['a', 'b', 'c']) {
  const net = new MemoryNetwork();
  const nodes = await Promise.all(ids.map((id) => start(net, id, ids)));
  await until(() => nodes.some((n) => n.node.isLeader));
  const leader = nodes.find((n) => n.node.isLeader) as (typeof nodes)[number];
  return { net, nodes, leader, followers: nodes.filter((n) => n !== leader) };
}

describe('createRaftNode', () => {
  it('replicates commands and resolves with the state machine result', async () => {
    const { leader, nodes } = await cluster();
    expect(await leader.node.propose({ op: 'put', key: 'k', value: 1 })).toBe(null);
    expect(await leader.node.propose({ op: 'put', key: 'k', value: 2 })).toBe(1);
    expect(await leader.node.propose({ op: 'cas', key: 'k', expected: 2, value: 3 })).toBe(true);
    await until(() => nodes.every((n) => n.sm.map.get('k') === 3));
  });

  it('refuses proposals on a follower with NOT_LEADER and a leader hint when forwarding is off', async () => {
    const net = new MemoryNetwork();
    const ids = ['a', 'b', 'c'];
    const nodes = await Promise.all(
      ids.map((id) => start(net, id, ids, memoryStorage(), { forwardProposals: false })),
    );
    await until(() => nodes.some((n) => n.node.isLeader));
    const leader = nodes.find((n) => n.node.isLeader) as (typeof nodes)[number];
    const f = nodes.find((n) => n !== leader)?.node as KvNode;
    await until(() => f.leader === leader.node.id);
    const err = await f.propose({ op: 'put', key: 'x', value: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('NOT_LEADER');
    expect((err as SwitchyardError).data).toEqual({ leaderHint: leader.node.id });
  });

  it('serves linearizable reads on the leader and on followers, and stale reads locally', async () => {
    const { leader, followers } = await cluster();
    await leader.node.propose({ op: 'put', key: 'r', value: 'v' });
    expect(await leader.node.read('r')).toBe('v');
    const f = followers[0]?.node as KvNode;
    // A follower's linearizable read waits until it has applied the leader's commit index.
    expect(await f.read('r', { consistency: 'linearizable' })).toBe('v');
    expect(await f.read('missing', { consistency: 'stale' })).toBe(null);
  });

  it('serves lease reads when enabled', async () => {
    const net = new MemoryNetwork();
    const ids = ['a', 'b', 'c'];
    const nodes = await Promise.all(
      ids.map((id) => start(net, id, ids, memoryStorage(), { raft: { leaseReads: true } })),
    );
    await until(() => nodes.some((n) => n.node.isLeader));
    const leader = nodes.find((n) => n.node.isLeader) as (typeof nodes)[number];
    await leader.node.propose({ op: 'put', key: 'l', value: 7 });
    expect(await leader.node.read('l', { consistency: 'lease' })).toBe(7);
  });

  it('times out with DEADLINE_EXCEEDED when a majority is unreachable', async () => {
    const { net, leader } = await cluster();
    net.isolate(leader.node.id);
    const err = await leader.node
      .propose({ op: 'put', key: 'p', value: 1 }, { timeout: 100 })
      .catch((e: unknown) => e);
    expect((err as SwitchyardError).code).toMatch(/DEADLINE_EXCEEDED|ABORTED/);
    const rerr = await leader.node.read('p', { timeout: 100 }).catch((e: unknown) => e);
    expect((rerr as SwitchyardError).code).toMatch(/DEADLINE_EXCEEDED|NOT_LEADER/);
  });

  it('elects a new leader after the old one is cut off, and the old one learns of it', async () => {
    const { net, leader, followers } = await cluster();
    await leader.node.propose({ op: 'put', key: 'before', value: 1 });
    net.isolate(leader.node.id);
    await until(() => followers.some((f) => f.node.isLeader));
    const next = followers.find((f) => f.node.isLeader) as (typeof followers)[number];
    await next.node.propose({ op: 'put', key: 'after', value: 2 });
    net.heal();
    await until(() => leader.sm.map.get('after') === 2 && !leader.node.isLeader);
    expect(leader.sm.map.get('before')).toBe(1);
  });

  it('transfers leadership on request', async () => {
    const { leader, followers } = await cluster();
    const target = followers[0]?.node.id as string;
    await leader.node.transferLeadership(target);
    const f0 = followers[0] as (typeof followers)[number];
    await until(() => f0.node.isLeader);
    expect(leader.node.isLeader).toBe(false);
  });

  it('adds a learner, promotes it, and removes a voter', async () => {
    const { net, leader, nodes } = await cluster();
    await leader.node.propose({ op: 'put', key: 'm', value: 1 });
    const d = await start(net, 'd', []);
    await leader.node.addVoter('d');
    expect(leader.node.status().conf.voters).toContain('d');
    await until(() => d.sm.map.get('m') === 1);
    const victim = nodes.find((n) => n !== leader) as (typeof nodes)[number];
    await leader.node.removeNode(victim.node.id);
    expect(leader.node.status().conf.voters).not.toContain(victim.node.id);
    await leader.node.propose({ op: 'put', key: 'm', value: 2 });
    await until(() => d.sm.map.get('m') === 2);
  });

  it('rejects a second membership change while one is pending', async () => {
    const { net, leader } = await cluster();
    await start(net, 'd', []);
    await start(net, 'e', []);
    const first = leader.node.addLearner('d');
    const err = await leader.node.addLearner('e').catch((e: unknown) => e);
    expect((err as SwitchyardError).code).toBe('FAILED_PRECONDITION');
    await first;
  });

  it('snapshots, compacts, and catches up a new member from the snapshot', async () => {
    const net = new MemoryNetwork();
    const ids = ['a', 'b', 'c'];
    const nodes = await Promise.all(
      ids.map((id) =>
        start(net, id, ids, memoryStorage(), { snapshotThreshold: 20, snapshotTrailing: 2 }),
      ),
    );
    await until(() => nodes.some((n) => n.node.isLeader));
    const leader = nodes.find((n) => n.node.isLeader) as (typeof nodes)[number];
    for (let i = 0; i < 60; i++) await leader.node.propose({ op: 'put', key: `k${i}`, value: i });
    await until(() => leader.node.status().firstIndex > 20);
    const d = await start(net, 'd', [], memoryStorage(), { snapshotThreshold: 20 });
    await leader.node.addLearner('d');
    await until(() => d.sm.map.get('k59') === 59);
    expect(d.node.status().firstIndex).toBeGreaterThan(1);
  });

  it('fails pending calls with UNAVAILABLE on shutdown and refuses new ones', async () => {
    const { net, leader } = await cluster();
    net.isolate(leader.node.id);
    const p = leader.node.propose({ op: 'put', key: 's', value: 1 }).catch((e: unknown) => e);
    await leader.node.close();
    expect(((await p) as SwitchyardError).code).toBe('UNAVAILABLE');
    const again = await leader.node
      .propose({ op: 'put', key: 's', value: 2 })
      .catch((e: unknown) => e);
    expect((again as SwitchyardError).code).toBe('UNAVAILABLE');
  });

  it('restarts from LMDB and the snapshot files with its state intact', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raft-lmdb-'));
    dirs.push(dir);
    const net = new MemoryNetwork();
    const storage = lmdbStorage({ dir });
    const first = await start(net, 'solo', ['solo'], storage, {
      snapshotThreshold: 10,
      snapshotTrailing: 0,
    });
    await until(() => first.node.isLeader);
    for (let i = 0; i < 25; i++) await first.node.propose({ op: 'put', key: `k${i}`, value: i });
    await until(() => first.node.status().firstIndex > 1);
    const term = first.node.status().term;
    await first.node.close();
    await storage.close();
    open.splice(open.indexOf(first.node), 1);
    const storage2 = lmdbStorage({ dir });
    const second = await start(net, 'solo', ['solo'], storage2);
    await until(() => second.node.isLeader);
    expect(second.sm.map.get('k24')).toBe(24);
    expect(second.node.status().term).toBeGreaterThan(term);
    expect(await second.node.propose({ op: 'put', key: 'k0', value: 'new' })).toBe(0);
    await second.node.close();
    open.splice(open.indexOf(second.node), 1);
    await storage2.close();
  });
});

describe('inline follower flushes', () => {
  /** Memory storage whose log records the `inline` flag of every sync. */
  function recording(): { storage: RaftStorage; inline: boolean[] } {
    const base = memoryStorage();
    const inline: boolean[] = [];
    const log = base.log;
    const storage: RaftStorage = {
      ...base,
      log: {
        load: () => log.load(),
        append: (entries) => log.append(entries),
        compact: (index) => log.compact(index),
        clear: () => log.clear(),
        sync: (options) => {
          inline.push(options?.inline === true);
          return log.sync();
        },
        close: () => log.close(),
      },
    };
    return { storage, inline };
  }

  /** An append from a leader `b` that exists only as this message. */
  function appendFromB(net: MemoryNetwork): void {
    net.transport('b').send([
      {
        type: 'app',
        from: 'b',
        to: 'a',
        term: 1,
        logTerm: 0,
        index: 0,
        commit: 0,
        entries: [{ index: 1, term: 1, kind: 'normal', data: new Uint8Array([1]) }],
        reject: false,
        rejectHint: 0,
        context: '',
        snapshot: null,
      },
    ]);
  }

  it('an idle follower alone in its process flushes inline; off when asked', async () => {
    for (const inlineFollowerSync of [true, false]) {
      const net = new MemoryNetwork();
      const { storage, inline } = recording();
      const { node } = await start(net, 'a', [], storage, { inlineFollowerSync });
      appendFromB(net);
      await until(() => node.status().lastIndex === 1);
      await until(() => inline.length > 0);
      expect(inline.includes(true)).toBe(inlineFollowerSync);
      await node.close();
    }
  });

  it('a follower sharing its process with another Raft node flushes in the background', async () => {
    const net = new MemoryNetwork();
    const { storage, inline } = recording();
    const { node } = await start(net, 'a', [], storage);
    await start(net, 'c', []); // another node in this process
    appendFromB(net);
    await until(() => node.status().lastIndex === 1);
    await until(() => inline.length > 0);
    expect(inline).not.toContain(true);
  });
});
