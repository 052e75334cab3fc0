import { describe, expect, it } from 'vitest';
import type { GossipEvent } from './events.js';
import { createGossip, type Gossip, generateKey } from './gossip.js';
import { Keyring } from './keyring.js';

const fast = {
  probeIntervalMs: 200,
  probeTimeoutMs: 100,
  gossipIntervalMs: 50,
  pushPullIntervalMs: 2_000,
};

async function until(pred: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !pred()) await new Promise((r) => setTimeout(r, 25));
  return pred();
}

describe('createGossip on 127.0.0.1', () => {
  it('joins, updates metadata, broadcasts, iterates events and leaves', async () => {
    const key = generateKey();
    const nodes: Gossip[] = [];
    try {
      const a = await createGossip({
        name: 'a',
        bind: '127.0.0.1:0',
        keyring: new Keyring(key),
        profile: 'local',
        config: fast,
      });
      nodes.push(a);
      const seen: GossipEvent[] = [];
      const iter = a.events();
      const collecting = (async () => {
        for await (const e of iter) seen.push(e);
      })();
      const messages: string[] = [];
      a.on('message', (e) => {
        if (e.type === 'message') messages.push(new TextDecoder().decode(e.payload));
      });
      const b = await createGossip({
        name: 'b',
        bind: '127.0.0.1:0',
        seeds: [a.address],
        keyring: new Keyring(key),
        profile: 'local',
        config: fast,
        meta: new Uint8Array([1]),
      });
      nodes.push(b);
      expect(b.member('a')?.status).toBe('alive'); // join resolved after the sync
      expect(await until(() => a.member('b')?.status === 'alive')).toBe(true);
      b.updateMeta(new Uint8Array([2, 2]));
      expect(await until(() => a.member('b')?.meta.length === 2)).toBe(true);
      b.broadcast(new TextEncoder().encode('hi'));
      expect(await until(() => messages.includes('hi'))).toBe(true);
      await b.leave(1_000);
      expect(await until(() => a.member('b')?.status === 'left')).toBe(true);
      await a.close();
      await collecting;
      expect(seen.map((e) => e.type)).toEqual(['join', 'update', 'message', 'leave']);
      expect(a.stats().decryptFailed).toBe(0);
    } finally {
      for (const n of nodes) await n.close();
    }
  }, 30_000);

  it('a member with the wrong key cannot join and its traffic is counted', async () => {
    const a = await createGossip({
      name: 'a',
      bind: '127.0.0.1:0',
      keyring: new Keyring(generateKey()),
      config: fast,
    });
    const b = await createGossip({
      name: 'b',
      bind: '127.0.0.1:0',
      keyring: new Keyring(generateKey()),
      config: fast,
    });
    try {
      expect(await b.join([a.address])).toBe(0);
      expect(a.member('b')).toBeUndefined();
      expect(a.stats().decryptFailed).toBeGreaterThan(0);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
