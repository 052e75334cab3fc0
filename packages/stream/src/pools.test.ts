import { describe, expect, it } from 'vitest';
import { ClientPool } from './client-pool.js';
import { createConduitPair } from './conduit-pair.js';
import { SwitchyardError } from './error.js';
import { FailoverPool, isRetrySafe } from './failover-pool.js';
import { createSession, isMaybeExecuted } from './session.js';
import type { CallHandler, Session } from './session-types.js';

/** An in-memory "server" that can be taken down and brought back. */
function fakeServer(name: string, handler: CallHandler = (c) => `${name}:${String(c.input)}`) {
  const state = {
    up: true,
    connects: 0,
    servers: [] as Session[],
    connect: async (): Promise<Session> => {
      state.connects++;
      if (!state.up) throw new SwitchyardError('UNAVAILABLE', `${name} refused the connection`);
      const [a, b] = createConduitPair();
      state.servers.push(createSession(b, { role: 'server', keepalive: false, handler }));
      const s = createSession(a, { role: 'client', keepalive: false });
      await s.ready;
      return s;
    },
    crash(): void {
      for (const s of state.servers) s.close(new Error('crash'));
      state.servers = [];
    },
  };
  return state;
}

describe('ClientPool', () => {
  it('opens sessions lazily up to the max and picks the least in flight', async () => {
    const release: (() => void)[] = [];
    const srv = fakeServer('a', () => new Promise<string>((r) => release.push(() => r('ok'))));
    const pool = new ClientPool({ connect: srv.connect, maxSessions: 3, healthInterval: 0 });
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i++) {
      calls.push(pool.call('x', i));
      await new Promise((r) => setTimeout(r, 1));
    }
    expect(pool.size).toBe(3);
    expect(srv.connects).toBe(3);
    // Least-in-flight: the load is spread, not piled on the first session.
    const loads = srv.servers.map((s) => (s as unknown as { serving: number }).serving);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(12);
    let done = false;
    void Promise.all(calls).then(() => {
      done = true;
    });
    while (!done) {
      for (const r of release.splice(0)) r();
      await new Promise((r) => setTimeout(r, 2));
    }
    await pool.close();
  });

  it('reconnects with backoff and recovers after the server comes back', async () => {
    const srv = fakeServer('a');
    const pool = new ClientPool({
      connect: srv.connect,
      healthInterval: 0,
      acquireTimeout: 100,
      backoff: { initial: 10, max: 20 },
    });
    expect(await pool.call('x', 1)).toBe('a:1');
    srv.up = false;
    srv.crash();
    await new Promise((r) => setTimeout(r, 5));
    const e = (await pool.call('x', 2).catch((err: unknown) => err)) as SwitchyardError;
    expect(e).toBeInstanceOf(SwitchyardError);
    expect(e.code).toBe('UNAVAILABLE');
    expect(e.message).toMatch(/refused/);
    const before = srv.connects;
    expect(before).toBeGreaterThan(2);
    expect(before).toBeLessThan(20); // backoff, not a busy loop
    srv.up = true;
    expect(await pool.call('x', 3)).toBe('a:3');
    await pool.close();
  });

  it('health: a session whose peer stops answering PING is closed', async () => {
    let stalled: Session | undefined;
    const pool = new ClientPool({
      healthInterval: 20,
      healthTimeout: 30,
      connect: async () => {
        const [a, b] = createConduitPair();
        // The server end never reads after HELLO: pings go unanswered.
        const server = createSession(b, { role: 'server', keepalive: false, handler: () => 1 });
        const s = createSession(a, { role: 'client', keepalive: false });
        await s.ready;
        b.pause();
        void server;
        stalled = s;
        return s;
      },
    });
    await pool.acquire();
    await stalled!.closed;
    expect(pool.size).toBe(0);
    await pool.close();
  });
});

describe('FailoverPool', () => {
  it('moves to the next address when one refuses connections (never sent: safe)', async () => {
    const a = fakeServer('a');
    const b = fakeServer('b');
    a.up = false;
    const servers = { a, b };
    const pool = new FailoverPool<'a' | 'b'>({
      addresses: ['a', 'b'],
      connect: (addr) => servers[addr].connect(),
      pool: { healthInterval: 0, acquireTimeout: 20 },
    });
    expect(await pool.call('x', 1)).toBe('b:1');
    expect(await pool.call('x', 2)).toBe('b:2'); // sticks to the healthy one
    await pool.close();
  });

  it('timeouts are retried only for idempotent calls', async () => {
    let slowCalls = 0;
    const a = fakeServer('a', () => {
      slowCalls++;
      return new Promise(() => {});
    });
    const b = fakeServer('b');
    const servers = { a, b };
    const mk = () =>
      new FailoverPool<'a' | 'b'>({
        addresses: ['a', 'b'],
        connect: (addr) => servers[addr].connect(),
        pool: { healthInterval: 0 },
        maxAttempts: 2,
        attemptTimeout: 40,
      });
    const p1 = mk();
    const e = (await p1
      .call('x', 1, { timeout: 500 })
      .catch((err: unknown) => err)) as SwitchyardError;
    expect(e.code).toBe('DEADLINE_EXCEEDED');
    expect(slowCalls).toBe(1);
    await p1.close();
    const p2 = mk();
    expect(await p2.call('x', 2, { timeout: 500, idempotent: true })).toBe('b:2');
    expect(slowCalls).toBe(2);
    await p2.close();
  });

  it('a retry budget stops retry storms', async () => {
    const a = fakeServer('a');
    a.up = false;
    const pool = new FailoverPool<'a'>({
      addresses: ['a'],
      connect: () => a.connect(),
      pool: { healthInterval: 0, acquireTimeout: 1, backoff: { initial: 1, max: 1 } },
      maxAttempts: 5,
      retryBudget: { ratio: 0, minTokens: 3 },
    });
    await expect(pool.call('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(pool.retryTokens).toBeLessThan(1);
    await pool.close();
  });

  it('live address updates', async () => {
    const a = fakeServer('a');
    const b = fakeServer('b');
    const servers = { a, b };
    const pool = new FailoverPool<'a' | 'b'>({
      addresses: ['a'],
      connect: (addr) => servers[addr].connect(),
      pool: { healthInterval: 0 },
    });
    expect(await pool.call('x', 1)).toBe('a:1');
    pool.setAddresses(['b']);
    expect(pool.addresses).toEqual(['b']);
    expect(await pool.call('x', 2)).toBe('b:2');
    await pool.close();
    await expect(pool.call('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('isRetrySafe follows DESIGN principle 6', async () => {
    expect(isRetrySafe(new SwitchyardError('UNAVAILABLE', 'not sent'), false)).toBe(true);
    expect(isRetrySafe(new SwitchyardError('DEADLINE_EXCEEDED', 't'), false)).toBe(false);
    expect(isRetrySafe(new SwitchyardError('DEADLINE_EXCEEDED', 't'), true)).toBe(true);
    expect(isRetrySafe(new SwitchyardError('INVALID_ARGUMENT', 'x'), true)).toBe(false);
    expect(isRetrySafe(new Error('x'), true)).toBe(false);
    // A call lost mid-flight when the connection dies: maybe executed.
    const [c1, c2] = createConduitPair();
    createSession(c2, { role: 'server', keepalive: false, handler: () => new Promise(() => {}) });
    const s = createSession(c1, { role: 'client', keepalive: false });
    const p = s.call('x').catch((e) => e);
    await s.ready;
    await new Promise((r) => setTimeout(r, 5));
    c1.close(new Error('cut'));
    const err = await p;
    expect(isMaybeExecuted(err)).toBe(true);
    expect(isRetrySafe(err, false)).toBe(false);
    expect(isRetrySafe(err, true)).toBe(true);
  });
});
