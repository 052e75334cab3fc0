import { method, rpc, SwitchyardError, service } from '@switchyard/core';
import type { Session } from '@switchyard/stream';
import { connectSession } from '@switchyard/tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodes, stopNodes, type TestNode, waitFor } from '../test/in-process-cluster.js';
import { FORWARDED_BY } from './cluster-node.js';
import { placeBy } from './placement.js';
import { rendezvousOwner } from './rendezvous.js';

const IDS = ['n1', 'n2', 'n3'];

function services(id: string) {
  return [
    service('acct', {
      whoOwns: method<{ id: string }, { node: string; forwardedBy: string | null }>({
        selectors: [placeBy('id')],
        handler: (_input, ctx) => ({
          node: id,
          forwardedBy: ctx.metadata[FORWARDED_BY] ?? null,
        }),
      }),
      count: method<{ id: string; to: number }, string>({
        kind: 'server-stream',
        selectors: [placeBy('id')],
        async *handler(input) {
          for (let i = 1; i <= input.to; i++) yield `${id}:${i}`;
        },
      }),
      slow: method<{ id: string; ms: number }, string>({
        selectors: [placeBy('id')],
        handler: async (input, ctx) => {
          await new Promise((r) => setTimeout(r, input.ms));
          return `${id}:${ctx.remaining() < Number.POSITIVE_INFINITY}`;
        },
      }),
      anywhere: method<void, string>({ handler: () => id }),
    }),
    service('chat', {
      join: method<{ room: string }, string>({
        handler: (input, ctx) => {
          ctx.subscribe(`room:${input.room}`);
          return id;
        },
      }),
      say: method<{ room: string; text: string }, void>({
        selectors: [rpc('say')],
        handler: (input, ctx) => ctx.publish(`room:${input.room}`, { from: id, text: input.text }),
      }),
    }),
  ];
}

describe('forwarding across three in-process nodes', () => {
  let nodes: TestNode[] = [];
  const sessions: Session[] = [];
  const connectTo = async (n: TestNode): Promise<Session> => {
    const s = await connectSession(n.gateway, { keepalive: false });
    sessions.push(s);
    return s;
  };

  beforeAll(async () => {
    nodes = await startNodes(IDS, services);
  });
  afterAll(async () => {
    for (const s of sessions) s.close();
    await stopNodes(nodes);
  });

  it('every node sees every member with its metadata', () => {
    for (const n of nodes) {
      const ids = n.cluster
        .members()
        .map((m) => m.id)
        .sort();
      expect(ids).toEqual(IDS);
      for (const m of n.cluster.members()) expect(m.meta?.stream).toMatch(/^127\.0\.0\.1:\d+$/);
    }
  });

  it('runs a keyed call on its rendezvous owner, marked as forwarded, whatever node it reached', async () => {
    const s = await connectTo(nodes[0] as TestNode);
    const keys = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const owners = new Set<string>();
    for (const key of keys) {
      const r = await s.call<{ node: string; forwardedBy: string | null }>('acct.whoOwns', {
        id: key,
      });
      const owner = rendezvousOwner(key, IDS);
      expect(r.node).toBe(owner);
      owners.add(r.node);
      // Never forwarded twice: at most one hop, and none when n1 owns it.
      expect(r.forwardedBy).toBe(owner === 'n1' ? null : 'n1');
    }
    expect(owners.size).toBe(3);
  });

  it('relays a streamed response from the owner', async () => {
    const s = await connectTo(nodes[1] as TestNode);
    const key = ['a', 'b', 'c', 'd', 'e'].find((k) => rendezvousOwner(k, IDS) !== 'n2') as string;
    const owner = rendezvousOwner(key, IDS);
    const got: string[] = [];
    for await (const v of s.serverStream<string>('acct.count', { id: key, to: 5 })) got.push(v);
    expect(got).toEqual([1, 2, 3, 4, 5].map((i) => `${owner}:${i}`));
  });

  it('carries the deadline: a forwarded call past its timeout fails DEADLINE_EXCEEDED', async () => {
    const s = await connectTo(nodes[0] as TestNode);
    const key = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6'].find(
      (k) => rendezvousOwner(k, IDS) !== 'n1',
    ) as string;
    const err = await s
      .call('acct.slow', { id: key, ms: 500 }, { timeout: 100 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('DEADLINE_EXCEEDED');
    const ok = await s.call<string>('acct.slow', { id: key, ms: 5 }, { timeout: 2000 });
    expect(ok).toBe(`${rendezvousOwner(key, IDS)}:true`);
  });

  it('runs unplaced methods where they arrive', async () => {
    const s = await connectTo(nodes[2] as TestNode);
    expect(await s.call('acct.anywhere')).toBe('n3');
  });

  it('delivers a publish on one node to subscribers on every node', async () => {
    const subs = await Promise.all(nodes.map((n) => connectTo(n)));
    const got: string[][] = subs.map(() => []);
    for (const [i, s] of subs.entries()) {
      s.onPush((topic, value) => {
        if (topic === 'room:lobby') got[i]?.push((value as { text: string }).text);
      });
    }
    for (const s of subs) await s.call('chat.join', { room: 'lobby' });
    const speaker = await connectTo(nodes[0] as TestNode);
    await speaker.call('say', { room: 'lobby', text: 'hello' });
    await speaker.call('say', { room: 'lobby', text: 'world' });
    await waitFor(() => got.every((g) => g.length === 2), 3000, 'pushes on every node');
    for (const g of got) expect(g).toEqual(['hello', 'world']);
  });
});
