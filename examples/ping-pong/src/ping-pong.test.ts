import * as net from 'node:net';
import { createClient, SwitchyardError, silentLogger } from '@switchyard/core';
import { connectSession } from '@switchyard/tcp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Address, hello, play } from './client.js';
import { type Player, type Stroke, Umpire } from './game.js';
import { type Server, start } from './server.js';
import type { PingPong } from './service.js';

/** A seeded PRNG (mulberry32), so every run plays the same match. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Sends raw NDJSON lines and collects `count` reply lines. */
async function ndjson(address: Address, lines: unknown[], count: number): Promise<unknown[]> {
  const socket = net.connect(address);
  socket.setEncoding('utf8');
  socket.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
  let text = '';
  for await (const chunk of socket) {
    text += chunk;
    if (text.split('\n').length > count) break;
  }
  socket.destroy();
  return text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('ping-pong: NDJSON handshake, then a binary rally', () => {
  let server: Server | undefined;
  let address: Address = { host: '127.0.0.1', port: 0 };
  beforeAll(async () => {
    server = await start({ luck: seeded(2), logger: silentLogger });
    address = { host: '127.0.0.1', port: server.ports.tcp };
  });
  afterAll(async () => {
    await server?.close();
  });

  it('plays a match to the end: the server accepts every stroke our umpire accepts', async () => {
    const welcome = await hello(address, { player: 'ann', pointsToWin: 3 });
    expect(welcome.rules).toEqual({ pointsToWin: 3, accuracy: 0.8 });
    expect(welcome.greeting).toContain('ann');

    const seen: { player: Player; n: number }[] = [];
    const umpire = await play(address, welcome, {
      luck: seeded(1),
      onStroke: (player, stroke) => seen.push({ player, n: stroke.n }),
    });
    const { winner, score } = umpire;
    expect(winner).toBeDefined();
    expect(score[winner as Player]).toBe(3);
    expect(score.client + score.server).toBeGreaterThanOrEqual(3);
    expect(seen.map((s) => s.n)).toEqual(seen.map((_, i) => i + 1));
    expect(seen.some((s) => s.player === 'server')).toBe(true);
  });

  it('speaks the documented text frames on the same port', async () => {
    const [ok, bad] = await ndjson(
      address,
      [
        { id: 1, method: 'pingpong.hello', input: { player: 'nc' } },
        { id: 2, method: 'pingpong.hello', input: { player: 'nc', pointsToWin: 99 } },
      ],
      2,
    );
    expect(ok).toMatchObject({ id: 1, result: { rules: { pointsToWin: 11 } } });
    expect(bad).toMatchObject({ id: 2, error: { code: 'INVALID_ARGUMENT' } });
    await expect(hello(address, { player: '' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('refuses a rally without a valid token, and a token twice', async () => {
    const session = await connectSession(address, { keepalive: false });
    try {
      const client = createClient<PingPong>(session);
      const rally = (token: string) => {
        const r = client.pingpong.play.open({ metadata: { token } });
        void r.send({ n: 1, luck: 0.99 }).catch(() => {});
        return r[Symbol.asyncIterator]().next();
      };
      await expect(rally('forged')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });

      const welcome = await hello(address, { player: 'bob', pointsToWin: 1 });
      // luck 0.99 is out: the serve loses the only point and the match is over.
      const first = client.pingpong.play.open({ metadata: { token: welcome.token } });
      await first.send({ n: 1, luck: 0.99 });
      first.end();
      expect(await first[Symbol.asyncIterator]().next()).toMatchObject({ done: true });
      await expect(rally(welcome.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    } finally {
      session.close();
    }
  });

  it('fails a ping out of turn with FAILED_PRECONDITION', async () => {
    const welcome = await hello(address, { player: 'eve', pointsToWin: 3 });
    const session = await connectSession(address, { keepalive: false });
    try {
      const rally = createClient<PingPong>(session).pingpong.play.open({
        metadata: { token: welcome.token },
      });
      const pongs = rally[Symbol.asyncIterator]();
      // A landing serve (luck 0): stroke 2 is the server's, so a second ping is out of turn.
      await rally.send({ n: 1, luck: 0 });
      expect((await pongs.next()).value).toMatchObject({ n: 2 });
      await rally.send({ n: 2, luck: 0 }).catch(() => {});
      const error = await pongs.next().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SwitchyardError);
      expect(error).toMatchObject({ code: 'FAILED_PRECONDITION' });
      expect((error as Error).message).toContain('out of turn');
    } finally {
      session.close();
    }
  });

  it('validates every stroke against the schema', async () => {
    const welcome = await hello(address, { player: 'max' });
    const session = await connectSession(address, { keepalive: false });
    try {
      const rally = createClient<PingPong>(session).pingpong.play.open({
        metadata: { token: welcome.token },
      });
      await rally.send({ n: 1 } as Stroke).catch(() => {});
      await expect(rally[Symbol.asyncIterator]().next()).rejects.toMatchObject({
        code: 'INVALID_ARGUMENT',
      });
    } finally {
      session.close();
    }
  });

  it('the umpire alone: turns, points and the end of the match', () => {
    const umpire = new Umpire({ pointsToWin: 1, accuracy: 0.5 });
    const stroke = (luck: number): Stroke => umpire.next(luck);
    expect(() => umpire.judge('server', stroke(0))).toThrow(/out of turn/);
    expect(umpire.judge('client', stroke(0.1))).toBe('in');
    expect(umpire.turn).toBe('server');
    expect(umpire.judge('server', stroke(0.6))).toBe('net');
    expect(umpire.score).toEqual({ client: 1, server: 0 });
    expect(umpire.winner).toBe('client');
    expect(() => umpire.judge('client', stroke(0.1))).toThrow(/match is over/);
  });
});
