import { SwitchyardError } from '@switchyard/stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type KvCommand, KvStateMachine } from './kv-state-machine.js';
import { memoryStorage } from './memory-storage.js';
import { MemoryNetwork } from './memory-transport.js';
import { replyError, transportError } from './proposal-forwarding.js';
import { createRaftNode, type RaftNode, type RaftNodeOptions } from './raft-node.js';
import type { Transport } from './transport.js';
import type { Message } from './types.js';

type KvNode = RaftNode<KvCommand, unknown, string, unknown>;

const open: KvNode[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((n) => n.close()));
});

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Counts how often each put value was applied, on every node: a double apply shows as 2. */
class CountingKv extends KvStateMachine {
  readonly applies = new Map<unknown, number>();
  override apply(c: KvCommand): unknown {
    if (c.op === 'put') this.applies.set(c.value, (this.applies.get(c.value) ?? 0) + 1);
    if (c.op === 'put' && c.value === 'boom') throw new SwitchyardError('INVALID_ARGUMENT', 'boom');
    return super.apply(c);
  }
}

/** A transport whose incoming acknowledgements can be dropped: the node then appends but never commits. */
function deafToAcks(inner: Transport): { transport: Transport; deaf: { on: boolean } } {
  const deaf = { on: false };
  const transport: Transport = {
    ...inner,
    start: (h) =>
      inner.start({
        ...h,
        message: (m: Message) => {
          if (deaf.on && m.type === 'appResp') return;
          h.message(m);
        },
      }),
  };
  return { transport, deaf };
}

async function cluster(extra: Partial<RaftNodeOptions> = {}) {
  const net = new MemoryNetwork();
  const ids = ['a', 'b', 'c'];
  const nodes = await Promise.all(
    ids.map(async (id) => {
      const sm = new CountingKv();
      const { transport, deaf } = deafToAcks(net.transport(id));
      const node = (await createRaftNode<KvCommand, unknown, string, unknown>({
        id,
        peers: ids,
        storage: memoryStorage(),
        stateMachine: sm,
        transport,
        tickMs: 10,
        ...(extra as object),
      })) as KvNode;
      open.push(node);
      return { node, sm, deaf };
    }),
  );
  await until(() => nodes.some((n) => n.node.isLeader));
  const leader = nodes.find((n) => n.node.isLeader) as (typeof nodes)[number];
  const followers = nodes.filter((n) => n !== leader);
  await until(() => followers.every((f) => f.node.leader === leader.node.id));
  return { net, nodes, leader, followers };
}

const codeOf = (e: unknown) => (e as SwitchyardError).code;
const dataOf = (e: unknown) => (e as SwitchyardError).data as Record<string, unknown>;

describe('proposal forwarding', () => {
  it("forwards a follower's proposal to the leader and returns the leader's result, applied once", async () => {
    const { nodes, followers } = await cluster();
    const f = followers[0]?.node as KvNode;
    expect(await f.propose({ op: 'put', key: 'k', value: 'v1' })).toBe(null);
    expect(await f.propose({ op: 'put', key: 'k', value: 'v2' })).toBe('v1');
    await until(() => nodes.every((n) => n.sm.map.get('k') === 'v2'));
    for (const n of nodes) expect(n.sm.applies.get('v1')).toBe(1);
  });

  it('passes a state machine failure through as a known outcome', async () => {
    const { followers } = await cluster();
    const err = await followers[0]?.node
      .propose({ op: 'put', key: 'k', value: 'boom' })
      .catch((e: unknown) => e);
    expect(codeOf(err)).toBe('INVALID_ARGUMENT');
    expect(dataOf(err).forwarded).toBe(true);
  });

  it('answers NOT_LEADER without a hint when no leader is known', async () => {
    const net = new MemoryNetwork();
    const node = (await createRaftNode<KvCommand, unknown, string, unknown>({
      id: 'a',
      peers: ['a', 'b', 'c'],
      storage: memoryStorage(),
      stateMachine: new KvStateMachine(),
      transport: net.transport('a'),
      tickMs: 10,
    })) as KvNode;
    open.push(node);
    const err = await node.propose({ op: 'put', key: 'k', value: 1 }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('NOT_LEADER');
    expect(dataOf(err)).toEqual({ leaderHint: null });
  });

  it('answers NOT_LEADER with the hint when the leader is unreachable before sending', async () => {
    const { net, leader, followers } = await cluster();
    const f = followers[0]?.node as KvNode;
    net.partition([f.id], [leader.node.id]);
    const err = await f.propose({ op: 'put', key: 'k', value: 1 }).catch((e: unknown) => e);
    expect(codeOf(err)).toBe('NOT_LEADER');
    expect(dataOf(err).leaderHint).toBe(leader.node.id);
  });

  it('bounds forwards in flight and keeps the caller deadline (outcome unknown)', async () => {
    const { leader, followers } = await cluster({ maxForwarded: 1 });
    const f = followers[0]?.node as KvNode;
    leader.deaf.on = true; // the leader appends but can never commit
    const first = f.propose({ op: 'put', key: 'k', value: 'slow' }, { timeout: 150 });
    const second = await f.propose({ op: 'put', key: 'k', value: 'x' }).catch((e: unknown) => e);
    expect(codeOf(second)).toBe('RESOURCE_EXHAUSTED');
    const err = await first.catch((e: unknown) => e);
    expect(codeOf(err)).toBe('DEADLINE_EXCEEDED');
    expect(dataOf(err).outcome).toBe('unknown');
  });

  it('reports UNKNOWN, never retries, when the leader dies mid-forward; the entry applies at most once', async () => {
    const { nodes, leader, followers } = await cluster();
    const f = followers[0]?.node as KvNode;
    leader.deaf.on = true; // followers store the entry, the leader never learns it committed
    const before = leader.node.status().lastIndex;
    const forwarded = f.propose({ op: 'put', key: 'k', value: 'once' }).catch((e: unknown) => e);
    await until(() => followers.every((x) => x.node.status().lastIndex > before));
    await leader.node.close();
    const err = await forwarded;
    expect(codeOf(err)).toBe('UNKNOWN');
    expect(dataOf(err).outcome).toBe('unknown');
    // The survivors elect a leader whose first commit carries the entry: it
    // applies exactly once, though its caller was told the outcome is unknown.
    await until(() => followers.some((x) => x.node.isLeader));
    const next = followers.find((x) => x.node.isLeader) as (typeof nodes)[number];
    await next.node.propose({ op: 'put', key: 'after', value: 1 });
    await until(() => followers.every((x) => x.sm.map.get('k') === 'once'));
    for (const x of followers) expect(x.sm.applies.get('once')).toBe(1);
  });
});

describe('forwarding decisions', () => {
  it('maps replies and transport failures to the caller error', () => {
    const refused = replyError({
      ok: false,
      code: 'NOT_LEADER',
      message: 'not the leader',
      leaderHint: 'b',
      outcome: 'refused',
    });
    expect([refused.code, (refused.data as { leaderHint: string }).leaderHint]).toEqual([
      'NOT_LEADER',
      'b',
    ]);
    const aborted = replyError({
      ok: false,
      code: 'ABORTED',
      message: 'overwritten',
      leaderHint: null,
      outcome: 'failed',
    });
    expect(aborted.code).toBe('ABORTED');
    const shutdown = replyError({
      ok: false,
      code: 'UNAVAILABLE',
      message: 'shutting down',
      leaderHint: null,
      outcome: 'unknown',
    });
    expect(shutdown.code).toBe('UNKNOWN');
    const notSent = new SwitchyardError('UNAVAILABLE', 'no connection', { data: { sent: false } });
    expect(transportError(notSent, 'a', null).code).toBe('NOT_LEADER');
    const lost = new SwitchyardError('UNAVAILABLE', 'connection lost', { data: { sent: true } });
    expect(transportError(lost, 'a', 'b').code).toBe('UNKNOWN');
    expect(transportError(new Error('weird'), 'a', null).code).toBe('UNKNOWN');
    const late = new SwitchyardError('DEADLINE_EXCEEDED', 'timed out', { data: { sent: true } });
    expect(transportError(late, 'a', null).code).toBe('DEADLINE_EXCEEDED');
  });
});
