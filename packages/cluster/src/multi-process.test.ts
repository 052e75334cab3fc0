import type { Session } from '@switchyard/stream';
import { SwitchyardError } from '@switchyard/stream';
import { connectSession } from '@switchyard/tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type ChildNode, exited, killHard, spawnNode } from '../test/spawn-node.js';
import { rendezvousOwner } from './rendezvous.js';

/**
 * Three real processes on 127.0.0.1: membership, forwarding to the owner,
 * pub/sub to WebSocket subscribers on every node, a crash mid-call, a
 * graceful leave. Every child is killed in afterAll, whatever happened.
 */
describe('a three-process cluster', () => {
  const nodes: ChildNode[] = [];
  const sessions: Session[] = [];
  const sockets: WebSocket[] = [];
  const tcpTo = async (n: ChildNode): Promise<Session> => {
    const s = await connectSession({ host: '127.0.0.1', port: n.tcp }, { keepalive: false });
    sessions.push(s);
    return s;
  };
  const membersSeenBy = async (n: ChildNode): Promise<Record<string, string>> => {
    const s = await tcpTo(n);
    const list = await s.call<{ id: string; status: string }[]>('info.members');
    s.close();
    return Object.fromEntries(list.map((m) => [m.id, m.status]));
  };
  const eventually = async (
    check: () => Promise<boolean>,
    ms: number,
    what: string,
  ): Promise<void> => {
    const until = Date.now() + ms;
    for (;;) {
      if (await check().catch(() => false)) return;
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  beforeAll(async () => {
    try {
      const first = await spawnNode('p1', undefined);
      nodes.push(first);
      nodes.push(
        ...(await Promise.all([spawnNode('p2', first.cluster), spawnNode('p3', first.cluster)])),
      );
    } catch (error) {
      killHard(nodes);
      throw error;
    }
  }, 60_000);

  afterAll(async () => {
    for (const s of sessions) s.close();
    for (const w of sockets) w.terminate();
    killHard(nodes);
    await Promise.all(nodes.map((n) => exited(n.child)));
  });

  it('joins: every node sees all three alive', async () => {
    await eventually(
      async () => {
        const views = await Promise.all(nodes.map(membersSeenBy));
        return views.every((v) => ['p1', 'p2', 'p3'].every((id) => v[id] === 'alive'));
      },
      10_000,
      'full membership',
    );
  });

  it('forwards keyed calls to their owner from any node', async () => {
    const ids = ['p1', 'p2', 'p3'];
    for (const n of nodes) {
      const s = await tcpTo(n);
      for (let i = 0; i < 12; i++) {
        const key = `acct-${i}`;
        const r = await s.call<{ node: string; forwardedBy: string | null }>('acct.whoOwns', {
          id: key,
        });
        const owner = rendezvousOwner(key, ids);
        expect(r.node).toBe(owner);
        expect(r.forwardedBy).toBe(owner === n.id ? null : n.id);
      }
    }
  });

  it('delivers a publish on one node to WebSocket subscribers on every node', async () => {
    const got: string[][] = nodes.map(() => []);
    await Promise.all(
      nodes.map(async (n, i) => {
        const w = new WebSocket(`ws://127.0.0.1:${n.ws}/`);
        sockets.push(w);
        await new Promise<void>((resolve, reject) => {
          w.once('open', () => resolve());
          w.once('error', reject);
        });
        const joined = new Promise<void>((resolve) => {
          w.on('message', (data) => {
            const msg = JSON.parse(String(data)) as {
              id?: number;
              push?: string;
              value?: { text: string };
            };
            if (msg.id === 1) resolve();
            if (msg.push === 'room:lobby' && msg.value) got[i]?.push(msg.value.text);
          });
        });
        w.send(JSON.stringify({ id: 1, method: 'chat.join', input: { room: 'lobby' } }));
        await joined;
      }),
    );
    const s = await tcpTo(nodes[0] as ChildNode);
    await s.call('chat.say', { room: 'lobby', text: 'one' });
    await s.call('chat.say', { room: 'lobby', text: 'two' });
    await eventually(async () => got.every((g) => g.length === 2), 5000, 'pushes on every node');
    for (const g of got) expect(g).toEqual(['one', 'two']);
  });

  it('owner crash mid-call: a non-idempotent call fails UNAVAILABLE, an idempotent one is retried on the next owner', async () => {
    const ids = ['p1', 'p2', 'p3'];
    // A key p3 owns, reached through p1.
    const key = Array.from({ length: 50 }, (_, i) => `crash-${i}`).find(
      (k) => rendezvousOwner(k, ids) === 'p3',
    ) as string;
    const s = await tcpTo(nodes[0] as ChildNode);
    const write = s
      .call('acct.slowWrite', { id: key, ms: 3000 }, { timeout: 8000 })
      .catch((e: unknown) => e);
    const read = s.call<string>('acct.slowRead', { id: key, ms: 300 }, { timeout: 8000 });
    await new Promise((r) => setTimeout(r, 150));
    const victim = nodes[2] as ChildNode;
    victim.child.kill('SIGKILL');
    const err = await write;
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('UNAVAILABLE');
    expect(await read).toBe(rendezvousOwner(key, ['p1', 'p2']));
    await exited(victim.child);
    // Survivors declare it dead and place its keys on themselves.
    await eventually(
      async () => (await membersSeenBy(nodes[0] as ChildNode)).p3 === 'dead',
      8000,
      'p3 dead',
    );
    const r = await s.call<{ node: string }>('acct.whoOwns', { id: key });
    expect(r.node).toBe(rendezvousOwner(key, ['p1', 'p2']));
  });

  it('graceful leave: the others see "left" at once and stop placing on it', async () => {
    const leaver = nodes[1] as ChildNode;
    leaver.child.kill('SIGTERM');
    await exited(leaver.child);
    expect(leaver.child.exitCode).toBe(0);
    const view = await membersSeenBy(nodes[0] as ChildNode);
    expect(view.p2).toBe('left');
    const s = await tcpTo(nodes[0] as ChildNode);
    for (let i = 0; i < 5; i++) {
      expect((await s.call<{ node: string }>('acct.whoOwns', { id: `k${i}` })).node).toBe('p1');
    }
  });
});
