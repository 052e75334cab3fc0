import { connectSession } from '@switchyard/tcp';
import { afterEach, describe, expect, it } from 'vitest';
import { KvStateMachine } from './kv-state-machine.js';
import { memoryStorage } from './memory-storage.js';
import { createRaftNode, type RaftNode } from './raft-node.js';
import { fromWire, TcpTransport } from './tcp-transport.js';
import type { Message } from './types.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function msg(partial: Partial<Message> & Pick<Message, 'type' | 'from' | 'to'>): Message {
  return {
    term: 1,
    logTerm: 0,
    index: 0,
    commit: 0,
    entries: [],
    reject: false,
    rejectHint: 0,
    context: '',
    snapshot: null,
    ...partial,
  };
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function pair() {
  const got: { b: Message[]; snaps: { m: Message; data: Uint8Array }[] } = { b: [], snaps: [] };
  const a = new TcpTransport({
    id: 'a',
    listen: { port: 0 },
    peers: {},
    snapshotChunkBytes: 64 << 10,
  });
  const b = new TcpTransport({ id: 'b', listen: { port: 0 }, peers: {} });
  await a.start({ message: () => {}, snapshot: () => {} });
  await b.start({
    message: (m) => got.b.push(m),
    snapshot: (m, data) => got.snaps.push({ m, data }),
  });
  a.addPeer('b', `127.0.0.1:${b.port}`);
  b.addPeer('a', `127.0.0.1:${a.port}`);
  cleanup.push(
    () => a.close(),
    () => b.close(),
  );
  return { a, b, got };
}

describe('TcpTransport', () => {
  it('delivers message batches in order, entries intact', async () => {
    const { a, got } = await pair();
    const entries = [
      { index: 5, term: 2, kind: 'normal' as const, data: new Uint8Array([1, 2, 3]) },
    ];
    // The first send dials; later ones ride the connection.
    a.send([msg({ type: 'heartbeat', from: 'a', to: 'b', commit: 1 })]);
    await until(() => got.b.length === 1);
    a.send([
      msg({ type: 'app', from: 'a', to: 'b', index: 4, logTerm: 2, entries }),
      msg({ type: 'heartbeat', from: 'a', to: 'b', commit: 5, context: 'r1' }),
    ]);
    await until(() => got.b.length === 3);
    expect(got.b.map((m) => m.type)).toEqual(['heartbeat', 'app', 'heartbeat']);
    expect(got.b[1]?.entries[0]?.index).toBe(5);
    expect([...(got.b[1]?.entries[0]?.data ?? [])]).toEqual([1, 2, 3]);
    expect(got.b[2]?.context).toBe('r1');
  });

  it('streams a snapshot in chunks and reassembles it', async () => {
    const { a, got } = await pair();
    a.send([msg({ type: 'heartbeat', from: 'a', to: 'b' })]);
    await until(() => got.b.length === 1);
    const data = new Uint8Array(300_000).map((_, i) => i % 251);
    const meta = {
      index: 10,
      term: 2,
      conf: {
        voters: ['a', 'b'],
        votersOutgoing: [],
        learners: [],
        learnersNext: [],
        autoLeave: false,
      },
    };
    const ok = await new Promise<boolean>((resolve) =>
      a.sendSnapshot(msg({ type: 'snap', from: 'a', to: 'b', snapshot: meta }), data, resolve),
    );
    expect(ok).toBe(true);
    expect(got.snaps).toHaveLength(1);
    expect(got.snaps[0]?.m.snapshot?.index).toBe(10);
    // Byte comparison (a deep toEqual over 300 kB is needlessly slow).
    expect(Buffer.compare(Buffer.from(got.snaps[0]?.data ?? []), Buffer.from(data))).toBe(0);
  });

  it('reports a snapshot to an unknown peer as failed', async () => {
    const { a } = await pair();
    const ok = await new Promise<boolean>((resolve) =>
      a.sendSnapshot(msg({ type: 'snap', from: 'a', to: 'zz' }), new Uint8Array(1), resolve),
    );
    expect(ok).toBe(false);
  });

  it('drops malformed messages and rejects out-of-order snapshot chunks', async () => {
    const { b, got } = await pair();
    const s = await connectSession({ host: '127.0.0.1', port: b.port });
    cleanup.push(async () => s.close());
    s.notify('raft.msgs', [['app', 'x'], 'garbage', null]);
    s.notify('raft.msgs', 42);
    const bad = await s
      .call('raft.snap', {
        from: 'x',
        key: '1/1',
        offset: 5,
        total: 10,
        chunk: new Uint8Array(5),
        message: null,
      })
      .catch((e: unknown) => e);
    expect((bad as { code?: string }).code).toBe('FAILED_PRECONDITION');
    const huge = await s
      .call('raft.snap', {
        from: 'x',
        key: '1/1',
        offset: 0,
        total: 2 ** 40,
        chunk: new Uint8Array(1),
        message: null,
      })
      .catch((e: unknown) => e);
    expect((huge as { code?: string }).code).toBe('PAYLOAD_TOO_LARGE');
    expect(got.b).toEqual([]);
    expect(fromWire(['app', 'a', 'b', -1, 0, 0, 0, [], false, 0, '', null])).toBeNull();
  });

  it('runs a 3-node cluster over TCP', async () => {
    const ids = ['a', 'b', 'c'];
    const transports = ids.map((id) => new TcpTransport({ id, listen: { port: 0 }, peers: {} }));
    const nodes: RaftNode[] = [];
    const sms = ids.map(() => new KvStateMachine());
    const storages = ids.map(() => memoryStorage());
    for (let i = 0; i < 3; i++) {
      nodes.push(
        await createRaftNode({
          id: ids[i] as string,
          peers: ids,
          storage: storages[i] as ReturnType<typeof memoryStorage>,
          stateMachine: sms[i] as KvStateMachine,
          transport: transports[i] as TcpTransport,
          tickMs: 10,
        }),
      );
    }
    cleanup.push(async () => {
      for (const n of nodes) await n.close();
    });
    for (const t of transports)
      for (let j = 0; j < 3; j++) t.addPeer(ids[j] as string, `127.0.0.1:${transports[j]?.port}`);
    await until(() => nodes.some((n) => n.isLeader));
    const leader = nodes.find((n) => n.isLeader) as RaftNode;
    await leader.propose({ op: 'put', key: 'k', value: 1 });
    await until(() => sms.every((s) => s.map.get('k') === 1));
    expect(await leader.read('k')).toBe(1);
    // A follower forwards a proposal over TCP and answers with the leader's result.
    const follower = nodes.find((n) => !n.isLeader) as RaftNode;
    await until(() => follower.leader === leader.id);
    expect(await follower.propose({ op: 'put', key: 'k', value: 2 })).toBe(1);
    await until(() => sms.every((s) => s.map.get('k') === 2));
  });
});
