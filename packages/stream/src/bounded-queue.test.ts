import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seedFromEnv } from '../test/helpers.js';
import { BoundedQueue } from './bounded-queue.js';
import { SwitchyardError } from './error.js';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('BoundedQueue', () => {
  it('sync trySend / tryRecv respect capacity and FIFO', () => {
    const q = new BoundedQueue<number>(2);
    expect(q.trySend(1)).toBe(true);
    expect(q.trySend(2)).toBe(true);
    expect(q.trySend(3)).toBe(false);
    expect(q.tryRecv()).toEqual({ ok: true, value: 1 });
    expect(q.tryRecv()).toEqual({ ok: true, value: 2 });
    expect(q.tryRecv()).toEqual({ ok: false, closed: false });
  });

  it('rejects a bad capacity', () => {
    expect(() => new BoundedQueue(0)).toThrow(/capacity/);
    expect(() => new BoundedQueue(1.5)).toThrow(SwitchyardError);
  });

  it('send waits for room; recv waits for a value; FIFO waiters', async () => {
    const q = new BoundedQueue<string>(1);
    await q.send('a');
    const order: string[] = [];
    const s1 = q.send('b').then(() => order.push('sent b'));
    const s2 = q.send('c').then(() => order.push('sent c'));
    expect(q.waitingSenders).toBe(2);
    expect(await q.recv()).toBe('a');
    expect(await q.recv()).toBe('b');
    expect(await q.recv()).toBe('c');
    await Promise.all([s1, s2]);
    expect(order).toEqual(['sent b', 'sent c']);
    const r1 = q.recv();
    const r2 = q.recv();
    q.trySend('x');
    q.trySend('y');
    expect([await r1, await r2]).toEqual(['x', 'y']);
  });

  it('close lets receivers drain, then rejects; waiting senders are rejected', async () => {
    const q = new BoundedQueue<number>(1);
    q.trySend(1);
    const blocked = q.send(2);
    q.close();
    await expect(blocked).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(q.trySend(3)).toBe(false);
    expect(await q.recv()).toBe(1);
    await expect(q.recv()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    const idle = new BoundedQueue<number>(1);
    const waiting = idle.recv();
    idle.close();
    await expect(waiting).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('async iteration ends after close and drain', async () => {
    const q = new BoundedQueue<number>(4);
    const got: number[] = [];
    const reader = (async () => {
      for await (const v of q) got.push(v);
    })();
    for (let i = 0; i < 10; i++) await q.send(i);
    q.close();
    await reader;
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('abort removes a waiter with the signal reason', async () => {
    const q = new BoundedQueue<number>(1);
    const ac = new AbortController();
    const r = q.recv(ac.signal);
    ac.abort(new SwitchyardError('CANCELLED', 'stop'));
    await expect(r).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(q.waitingReceivers).toBe(0);
    q.trySend(5);
    expect(q.tryRecv()).toEqual({ ok: true, value: 5 });
    await expect(q.recv(AbortSignal.abort())).rejects.toBeDefined();
  });

  it('no lost wakeup: a value handed to a waiter that is aborted in the same tick is delivered or kept (property)', async () => {
    const seed = seedFromEnv();
    type Op =
      | { t: 'trySend' }
      | { t: 'send'; abortAfter: boolean }
      | { t: 'tryRecv' }
      | { t: 'recv'; abortAfter: boolean }
      | { t: 'abortAll' }
      | { t: 'flush' };
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      fc.constant({ t: 'trySend' as const }),
      fc.record({ t: fc.constant('send' as const), abortAfter: fc.boolean() }),
      fc.constant({ t: 'tryRecv' as const }),
      fc.record({ t: fc.constant('recv' as const), abortAfter: fc.boolean() }),
      fc.constant({ t: 'abortAll' as const }),
      fc.constant({ t: 'flush' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.array(opArb, { maxLength: 60 }),
        async (cap, ops) => {
          const q = new BoundedQueue<number>(cap);
          let next = 0;
          const accepted = new Set<number>(); // values the queue accepted (send resolved / trySend true)
          const received: number[] = [];
          const controllers: AbortController[] = [];
          const pendingSends: Promise<unknown>[] = [];
          for (const op of ops) {
            if (op.t === 'trySend') {
              const v = next++;
              if (q.trySend(v)) accepted.add(v);
            } else if (op.t === 'send') {
              const v = next++;
              const ac = new AbortController();
              controllers.push(ac);
              pendingSends.push(
                q.send(v, ac.signal).then(
                  () => accepted.add(v),
                  () => {},
                ),
              );
              if (op.abortAfter) ac.abort();
            } else if (op.t === 'tryRecv') {
              const r = q.tryRecv();
              if (r.ok) received.push(r.value);
            } else if (op.t === 'recv') {
              const ac = new AbortController();
              controllers.push(ac);
              const p = q.recv(ac.signal).then(
                (v) => received.push(v),
                () => {},
              );
              // Abort in the same synchronous step as a possible wakeup.
              if (op.abortAfter) {
                if (q.trySend(next)) accepted.add(next);
                next++;
                ac.abort();
              }
              void p;
            } else if (op.t === 'abortAll') {
              for (const c of controllers) c.abort();
            } else {
              await flush();
            }
          }
          for (const c of controllers) c.abort();
          await flush();
          await Promise.all(pendingSends);
          // Drain what is left.
          for (let r = q.tryRecv(); r.ok; r = q.tryRecv()) received.push(r.value);
          // Every accepted value is received exactly once, in FIFO order of acceptance per producer.
          expect(new Set(received).size).toBe(received.length);
          expect(new Set(received)).toEqual(accepted);
          expect(q.size).toBe(0);
        },
      ),
      { seed, numRuns: 300 },
    );
  });
});
