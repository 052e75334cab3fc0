import type { CallHandler } from '@switchyard/stream';
import { describe, expect, it } from 'vitest';
import { listen } from './listen.js';
import { createClientPool, createFailoverPool } from './pools.js';

const handler: CallHandler = (c) => `${c.metadata.node ?? ''}${String(c.input)}`;

describe('pools over tcp', () => {
  it('ClientPool reconnects after the server restarts on the same port', async () => {
    let l = await listen({ port: 0 }, { serve: { handler } });
    const port = l.address.port!;
    const pool = createClientPool(
      { host: '127.0.0.1', port },
      {
        keepalive: false,
        pool: { healthInterval: 0, acquireTimeout: 3000, backoff: { initial: 10, max: 50 } },
      },
    );
    try {
      expect(await pool.call('x', 1)).toBe('1');
      await l.close();
      l.destroyConnections();
      await new Promise((r) => setTimeout(r, 30));
      const down = await pool.call('x', 2).catch((e) => e);
      expect(down).toMatchObject({ code: 'UNAVAILABLE' });
      l = await listen({ port }, { serve: { handler } });
      expect(await pool.call('x', 3)).toBe('3');
    } finally {
      await pool.close();
      await l.close();
      l.destroyConnections();
    }
  });

  it('FailoverPool skips a dead address', async () => {
    const dead = await listen({ port: 0 }, { serve: { handler } });
    const deadPort = dead.address.port!;
    await dead.close();
    const live = await listen({ port: 0 }, { serve: { handler } });
    const pool = createFailoverPool(
      [
        { host: '127.0.0.1', port: deadPort },
        { host: '127.0.0.1', port: live.address.port! },
      ],
      { keepalive: false, failover: { pool: { healthInterval: 0, acquireTimeout: 50 } } },
    );
    try {
      expect(await pool.call('x', 'ok')).toBe('ok');
    } finally {
      await pool.close();
      await live.close();
      live.destroyConnections();
    }
  });
});
