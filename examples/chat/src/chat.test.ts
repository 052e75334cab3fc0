import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './chat-client.js';
import { type ChatCluster, launchChat } from './launch.js';

describe('chat example: pub/sub across three nodes', () => {
  let chat: ChatCluster | undefined;
  const clients: ChatClient[] = [];
  beforeAll(async () => {
    chat = await launchChat();
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.close();
    await chat?.stop();
  });

  it('a message said on any node reaches the room on every node, and only that room', async () => {
    for (const url of chat?.urls ?? []) clients.push(await ChatClient.open(url));
    const nodes = new Set<string>();
    for (const c of clients)
      nodes.add(((await c.call('chat.join', { room: 'lobby' })) as { node: string }).node);
    expect(nodes.size).toBe(3);
    const other = await ChatClient.open(chat?.urls[0] as string);
    clients.push(other);
    await other.call('chat.join', { room: 'other' });
    // Membership converges within a few sync rounds; retry the first message until it fans out.
    const deadline = Date.now() + 10_000;
    let n = 0;
    while (!clients.slice(0, 3).every((c) => c.received.length > 0)) {
      if (Date.now() > deadline) throw new Error('message did not reach every node');
      await clients[1]?.call('chat.say', { room: 'lobby', from: 'bob', text: `warmup ${n++}` });
      await new Promise((r) => setTimeout(r, 200));
    }
    for (const c of clients) c.received.length = 0;
    await clients[2]?.call('chat.say', { room: 'lobby', from: 'cy', text: 'hi all' });
    const until = Date.now() + 5000;
    while (!clients.slice(0, 3).every((c) => c.received.length === 1) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, 50));
    }
    for (const c of clients.slice(0, 3))
      expect(c.received).toEqual([{ from: 'cy', text: 'hi all', via: 'c3' }]);
    expect(other.received).toEqual([]);
  });

  it('rejects a bad room name', async () => {
    const c = clients[0] as ChatClient;
    await expect(c.call('chat.join', { room: 'no spaces' })).rejects.toThrow(/room/);
  });
});
