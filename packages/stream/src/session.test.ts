import { builtinCodecs } from '@switchyard/codec';
import { describe, expect, it } from 'vitest';
import { pair, rawPeer, tick, until } from '../test/helpers.js';
import { createConduitPair } from './conduit-pair.js';
import { SwitchyardError } from './error.js';
import { FrameType, HEADER_SIZE, Kind } from './frame.js';
import { createSession } from './session.js';
import type { IncomingCall } from './session-types.js';

const echo = (c: IncomingCall): unknown => c.input;

async function rejection(p: Promise<unknown>): Promise<SwitchyardError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchyardError);
    return e as SwitchyardError;
  }
  throw new Error('expected a rejection');
}

describe('session: calls (PROTOCOL.md §4–§7)', () => {
  it('§6.1 unary call with a codec value and with raw bytes', async () => {
    const { client, server } = pair(echo, { methods: ['echo'] });
    await client.ready;
    expect(await client.call('echo', { a: [1, 2, 'x'] })).toEqual({ a: [1, 2, 'x'] });
    const bytes = await client.call<Uint8Array>('echo', Buffer.from([1, 2, 3]));
    expect(Buffer.from(bytes).equals(Buffer.from([1, 2, 3]))).toBe(true);
    expect(await client.call('echo')).toBeUndefined();
    client.close();
    await server.closed;
  });

  it('§1 calls go both ways on one connection', async () => {
    const { client, server } = pair(
      (c) => `server:${c.input}`,
      {},
      { handler: (c) => `client:${c.input}` },
    );
    expect(await client.call('x', 1)).toBe('server:1');
    expect(await server.call('y', 2)).toBe('client:2');
    const both = await Promise.all([client.call('a', 3), server.call('b', 4), client.call('c', 5)]);
    expect(both).toEqual(['server:3', 'client:4', 'server:5']);
    client.close();
  });

  it('§6.2 metadata, remaining deadline and kind travel in the REQUEST', async () => {
    let seen: { md: Record<string, string>; left: number; kind: string } | undefined;
    const { client } = pair((c) => {
      seen = { md: { ...c.metadata }, left: c.deadline - performance.now(), kind: c.kind };
      return null;
    });
    await client.call('m', 1, { timeout: 5000, metadata: { user: 'ädä', trace: 'abc' } });
    expect(seen!.md).toEqual({ user: 'ädä', trace: 'abc' });
    expect(seen!.left).toBeGreaterThan(3000);
    expect(seen!.left).toBeLessThanOrEqual(5000);
    expect(seen!.kind).toBe('unary');
    client.close();
  });

  it('§5 unknown method: fast NOT_FOUND and the connection stays up', async () => {
    const { client } = pair(echo, { methods: ['echo'] });
    const e = await rejection(client.call('nope', 1));
    expect(e.code).toBe('NOT_FOUND');
    expect(e.message).toMatch(/nope/);
    expect(await client.call('echo', 2)).toBe(2);
    client.close();
  });

  it('§7.3 handler errors: SwitchyardError travels, anything else becomes INTERNAL', async () => {
    const { client } = pair((c) => {
      if (c.input === 1)
        throw new SwitchyardError('FAILED_PRECONDITION', 'nope', { data: { why: 'x' } });
      if (c.input === 2) throw new Error('secret internals');
      return Promise.reject(new SwitchyardError('NOT_LEADER', 'ask b'));
    });
    const e1 = await rejection(client.call('a', 1));
    expect([e1.code, e1.message, e1.data]).toEqual(['FAILED_PRECONDITION', 'nope', { why: 'x' }]);
    const e2 = await rejection(client.call('a', 2));
    expect(e2.code).toBe('INTERNAL');
    expect(e2.message).not.toMatch(/secret/);
    expect((await rejection(client.call('a', 3))).code).toBe('NOT_LEADER');
    client.close();
  });

  it('§2.4 a payload the codec rejects: INVALID_ARGUMENT, connection stays up', async () => {
    const [a, b] = createConduitPair();
    createSession(b, { role: 'server', handler: echo, keepalive: false });
    const peer = rawPeer(a);
    peer.writer.frame(
      FrameType.HELLO,
      0,
      2,
      0,
      0,
      Buffer.from(
        JSON.stringify({
          versions: [1],
          maxFrameSize: 65536,
          window: 8,
          streamCredit: 8,
          methods: [],
        }),
      ),
    );
    // msgpackr (codec 1) body 0xc1 is "never used": a decode error.
    peer.writer.frame(FrameType.REQUEST, Kind.UNARY, 1, 1, 'echo', Buffer.from([0xc1]));
    // unknown codec 77
    peer.writer.frame(FrameType.REQUEST, Kind.UNARY, 77, 2, 'echo', Buffer.from([1]));
    // then a good call
    peer.writer.frame(FrameType.REQUEST, Kind.UNARY, 2, 3, 'echo', Buffer.from('"ok"'));
    await until(() => peer.frames.filter((f) => f.seq > 0).length >= 3);
    const bySeq = new Map(peer.frames.map((f) => [f.seq, f]));
    const err1 = JSON.parse(JSON.stringify(bySeq.get(1)!.type));
    expect(err1).toBe(FrameType.ERROR);
    expect(bySeq.get(2)!.type).toBe(FrameType.ERROR);
    expect(bySeq.get(3)!.type).toBe(FrameType.RESPONSE);
    a.close();
  });

  it('§7.1 timeout: DEADLINE_EXCEEDED, and the handler signal fires through the propagated deadline', async () => {
    let aborted: unknown;
    const { client, server } = pair(
      (c) =>
        new Promise((_r, reject) => {
          c.signal.addEventListener('abort', () => {
            aborted = c.signal.reason;
            reject(c.signal.reason);
          });
        }),
    );
    const e = await rejection(client.call('slow', 1, { timeout: 60 }));
    expect(e.code).toBe('DEADLINE_EXCEEDED');
    await until(() => aborted !== undefined);
    expect((aborted as SwitchyardError).code).toMatch(/DEADLINE_EXCEEDED|CANCELLED/);
    expect(client.inFlight).toBe(0);
    await until(() => (server as unknown as { serving: number }).serving === 0);
    client.close();
  });

  it('§7.2 abort signal sends CANCEL and aborts the remote handler; late responses are dropped', async () => {
    let remote: AbortSignal | undefined;
    let finish!: (v: unknown) => void;
    const { client } = pair((c) => {
      remote = c.signal;
      return new Promise((r) => {
        finish = r;
      });
    });
    const ac = new AbortController();
    const p = client.call('x', 1, { signal: ac.signal });
    await until(() => remote !== undefined);
    ac.abort();
    expect((await rejection(p)).code).toBe('CANCELLED');
    await until(() => remote!.aborted);
    expect((remote!.reason as SwitchyardError).code).toBe('CANCELLED');
    finish('too late'); // dropped: the caller forgot the seq
    expect(await client.call('x', 2, { timeout: 50 }).catch((e) => e.code)).toBe(
      'DEADLINE_EXCEEDED',
    );
    client.close();
  });

  it('§7.2 the handler signal is made lazily: read only after CANCEL, it is already aborted', async () => {
    let call: IncomingCall | undefined;
    const { client, server } = pair((c) => {
      call = c; // the signal is not touched while the call runs
      return new Promise(() => {});
    });
    const ac = new AbortController();
    const p = client.call('x', 1, { signal: ac.signal });
    await until(() => call !== undefined);
    ac.abort();
    expect((await rejection(p)).code).toBe('CANCELLED');
    // The CANCEL has been served once the server holds no call.
    await until(() => (server as unknown as { serving: number }).serving === 0);
    const late = call!.signal;
    expect(late.aborted).toBe(true);
    expect((late.reason as SwitchyardError).code).toBe('CANCELLED');
    client.close();
  });

  it('§7.4 receiver limit: a flood beyond the window is answered RESOURCE_EXHAUSTED, not queued', async () => {
    const release: (() => void)[] = [];
    const { client } = pair(
      () =>
        new Promise<string>((r) => {
          release.push(() => r('done'));
        }),
      { window: 4 },
      { window: 100 },
    );
    await client.ready;
    // The client learned the server window (4) at HELLO, so it queues locally: force the flood with a raw peer instead.
    const [a, b] = createConduitPair();
    createSession(b, {
      role: 'server',
      keepalive: false,
      window: 4,
      handler: () => new Promise(() => {}),
    });
    const peer = rawPeer(a);
    peer.writer.frame(
      FrameType.HELLO,
      0,
      2,
      0,
      0,
      Buffer.from(
        JSON.stringify({
          versions: [1],
          maxFrameSize: 65536,
          window: 8,
          streamCredit: 8,
          methods: [],
        }),
      ),
    );
    for (let seq = 1; seq <= 20; seq++)
      peer.writer.frame(FrameType.REQUEST, Kind.UNARY, 2, seq, 'hold', Buffer.from('1'));
    await until(() => peer.frames.filter((f) => f.type === FrameType.ERROR).length === 16);
    const errs = peer.frames.filter((f) => f.type === FrameType.ERROR);
    expect((builtinCodecs.msgpackr.decode(errs[0]!.body) as { code: string }).code).toBe(
      'RESOURCE_EXHAUSTED',
    );
    a.close();
    // And the well-behaved client simply waits for window slots.
    const calls = Array.from({ length: 10 }, (_, i) => client.call('hold', i));
    await until(() => release.length === 4);
    expect(client.inFlight).toBe(10);
    for (let released = 0; released < 10; released++) {
      await until(() => release.length > 0);
      release.shift()!();
    }
    await expect(Promise.all(calls)).resolves.toHaveLength(10);
    client.close();
  });

  it('§7.4 sender: calls beyond window + maxPending fail locally with RESOURCE_EXHAUSTED', async () => {
    const { client } = pair(() => new Promise(() => {}), {}, { window: 2, maxPending: 3 });
    await client.ready;
    const ps = Array.from({ length: 6 }, (_, i) => client.call('x', i, { timeout: 0 }));
    const e = await rejection(ps[5]!);
    expect(e.code).toBe('RESOURCE_EXHAUSTED');
    expect(client.inFlight).toBe(5);
    client.close();
    for (const p of ps.slice(0, 5)) expect((await rejection(p)).code).toBe('UNAVAILABLE');
  });

  it('rejects bad arguments with clear errors', async () => {
    const { client } = pair(echo);
    await expect(client.call('')).rejects.toThrow(/bad method name/);
    await expect(client.call('x', 1, { metadata: { k: 5 as unknown as string } })).rejects.toThrow(
      /must be a string/,
    );
    await expect(client.call('x', Symbol('not encodable'))).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(() => createSession(createConduitPair()[0], { role: 'nope' as 'client' })).toThrow(
      /role/,
    );
    expect(await client.call('x', 'still fine')).toBe('still fine');
    client.close();
  });

  it('§3 max frame size: an oversize request fails locally; oversize frames from a peer close it', async () => {
    const { client } = pair(echo, { maxFrameSize: 2048 });
    await client.ready;
    const e = await rejection(client.call('x', Buffer.alloc(4096)));
    expect(e.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await client.call('x', 1)).toBe(1);
    client.close();
  });
});

describe('session: notify and push (§6.1, §9)', () => {
  it('notify reaches the handler with kind notify and gets no answer', async () => {
    const seen: unknown[] = [];
    const { client } = pair((c) => {
      seen.push([c.kind, c.input]);
      throw new Error('ignored');
    });
    client.notify('log', 'hello', { metadata: { a: 'b' } });
    await until(() => seen.length === 1);
    expect(seen[0]).toEqual(['notify', 'hello']);
    expect(client.inFlight).toBe(0);
    client.close();
  });

  it('push goes both ways with its own seq space', async () => {
    const { client, server } = pair(echo);
    const got: unknown[] = [];
    const off = client.onPush((t, v) => got.push([t, v]));
    server.onPush((t, v) => got.push(['s', t, v]));
    await client.ready;
    expect(server.push('news', { n: 1 })).toBe(true);
    expect(server.push('news', Buffer.from('b'))).toBe(true);
    expect(client.push('up', 3)).toBe(true);
    await until(() => got.length === 3);
    expect(got).toContainEqual(['news', { n: 1 }]);
    expect(got).toContainEqual(['s', 'up', 3]);
    off();
    server.push('news', 2);
    await client.call('echo', 1);
    expect(got).toHaveLength(3);
    expect(server.push('', 1)).toBe(false);
    client.close();
    await server.closed;
    expect(server.push('news', 1)).toBe(false);
  });
});

describe('session: streams and credit (§8)', () => {
  it('server-stream, client-stream and bidi', async () => {
    const { client } = pair(async (c) => {
      if (c.method === 'count') {
        return (async function* () {
          for (let i = 0; i < (c.input as number); i++) yield i;
        })();
      }
      if (c.method === 'sum') {
        let s = 0;
        for await (const v of c.inputStream!) s += v as number;
        return s;
      }
      if (c.method === 'array') return [1, 2, 3];
      return (async function* () {
        for await (const v of c.inputStream!) yield `re:${v}`;
      })();
    });
    const got: number[] = [];
    for await (const v of client.serverStream<number>('count', 300)) got.push(v);
    expect(got).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const arr: number[] = [];
    for await (const v of client.serverStream<number>('array')) arr.push(v);
    expect(arr).toEqual([1, 2, 3]);

    const cs = client.clientStream<number>('sum');
    for (let i = 1; i <= 500; i++) await cs.send(i);
    cs.end();
    expect(await cs.result).toBe(125250);

    const bd = client.bidi<string>('chat');
    const reader = (async () => {
      const out: string[] = [];
      for await (const v of bd) out.push(v);
      return out;
    })();
    for (let i = 0; i < 200; i++) await bd.send(i);
    bd.end();
    const out = await reader;
    expect(out).toHaveLength(200);
    expect(out[199]).toBe('re:199');
    client.close();
  });

  it('a slow consumer stops a fast producer (bounded buffering)', async () => {
    let produced = 0;
    const { client } = pair(
      () =>
        (async function* () {
          for (let i = 0; i < 100_000; i++) {
            produced++;
            yield i;
          }
        })(),
      {},
      { streamCredit: 16 },
    );
    const it = client.serverStream<number>('firehose')[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe(0);
    await new Promise((r) => setTimeout(r, 100));
    // Only the granted credit (16) plus one in the generator can be produced.
    expect(produced).toBeLessThanOrEqual(18);
    for (let i = 1; i < 100; i++) expect((await it.next()).value).toBe(i);
    await new Promise((r) => setTimeout(r, 50));
    expect(produced).toBeLessThanOrEqual(100 + 18);
    await it.return!();
    client.close();
  });

  it('client-stream send() waits for credit', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const { client } = pair(
      async (c) => {
        await gate;
        let n = 0;
        for await (const _ of c.inputStream!) n++;
        return n;
      },
      { streamCredit: 4 },
    );
    const cs = client.clientStream<number>('count');
    let sent = 0;
    const sender = (async () => {
      for (let i = 0; i < 50; i++) {
        await cs.send(i);
        sent++;
      }
      cs.end();
    })();
    await new Promise((r) => setTimeout(r, 50));
    expect(sent).toBeLessThanOrEqual(4);
    release();
    await sender;
    expect(await cs.result).toBe(50);
    client.close();
  });

  it('breaking out of a server-stream cancels the remote generator', async () => {
    let finished = false;
    const { client } = pair(() =>
      (async function* () {
        try {
          for (let i = 0; ; i++) {
            yield i;
            await new Promise((r) => setTimeout(r, 1));
          }
        } finally {
          finished = true;
        }
      })(),
    );
    for await (const v of client.serverStream<number>('inf')) if (v === 5) break;
    await until(() => finished);
    expect(client.inFlight).toBe(0);
    client.close();
  });

  it('a stream handler error reaches the consumer', async () => {
    const { client } = pair(() =>
      (async function* () {
        yield 1;
        throw new SwitchyardError('ABORTED', 'boom');
      })(),
    );
    const got: unknown[] = [];
    const e = await rejection(
      (async () => {
        for await (const v of client.serverStream('x')) got.push(v);
      })(),
    );
    expect(got).toEqual([1]);
    expect(e.code).toBe('ABORTED');
    client.close();
  });
});

describe('session: keepalive, GOAWAY, disconnects (§10, §11)', () => {
  it('§11.1 GOAWAY: in-flight calls finish, new ones are refused with retryable UNAVAILABLE', async () => {
    let finish!: (v: unknown) => void;
    const { client, server } = pair(
      () =>
        new Promise((r) => {
          finish = r;
        }),
    );
    const inflight = client.call('slow', 1);
    await until(() => finish !== undefined);
    const drained = server.goaway();
    await until(() => client.draining);
    const refused = await rejection(client.call('new', 2));
    expect(refused.code).toBe('UNAVAILABLE');
    expect(refused.retryable).toBe(true);
    finish('finished');
    expect(await inflight).toBe('finished');
    await drained;
    await client.closed;
    expect(client.isClosed).toBe(true);
  });

  it('disconnect fails in-flight calls with UNAVAILABLE and aborts handlers', async () => {
    let remote: AbortSignal | undefined;
    const [a, b] = createConduitPair();
    createSession(b, {
      role: 'server',
      keepalive: false,
      handler: (c) => {
        remote = c.signal;
        return new Promise(() => {});
      },
    });
    const client = createSession(a, { role: 'client', keepalive: false });
    const p = client.call('x');
    await until(() => remote !== undefined);
    a.close(new Error('cable cut'));
    expect((await rejection(p)).code).toBe('UNAVAILABLE');
    await until(() => remote!.aborted);
    expect((await rejection(client.call('y'))).code).toBe('UNAVAILABLE');
    await expect(client.ready).resolves.toBeUndefined();
  });

  it('§10 keepalive detects a dead peer', async () => {
    const [a, b] = createConduitPair();
    const peer = rawPeer(b);
    const client = createSession(a, { role: 'client', keepalive: { interval: 20, timeout: 80 } });
    await client.closed;
    expect(client.isClosed).toBe(true);
    expect(peer.frames[0]!.type).toBe(FrameType.HELLO);
    expect(peer.frames.some((f) => f.type === FrameType.PING)).toBe(true);
    await expect(client.ready).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('§10 ping measures the round trip', async () => {
    const { client } = pair(echo, { keepalive: { interval: 10, timeout: 1000 } });
    await client.ready;
    const rtt = await client.ping();
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(client.rtt).toBe(rtt);
    client.close();
  });

  it('§11.2 protocol errors close with GOAWAY and never crash', async () => {
    const cases: Buffer[] = [
      Buffer.from('garbage that is not a frame at all......'),
      (() => {
        const b = Buffer.alloc(HEADER_SIZE);
        b.writeUInt16LE(0x59f5, 0);
        b[2] = 1;
        b[3] = FrameType.REQUEST; // before HELLO
        return b;
      })(),
    ];
    for (const bytes of cases) {
      const [a, b] = createConduitPair();
      const errors: Error[] = [];
      const s = createSession(b, {
        role: 'server',
        keepalive: false,
        handler: echo,
        onProtocolError: (e) => errors.push(e),
      });
      const peer = rawPeer(a);
      peer.writeBytes(bytes);
      await s.closed;
      await until(() => peer.frames.some((f) => f.type === FrameType.GOAWAY));
      expect(errors[0]).toBeInstanceOf(SwitchyardError);
      const goaway = peer.frames.find((f) => f.type === FrameType.GOAWAY)!;
      expect(JSON.parse(goaway.body.toString()).code).toMatch(/PROTOCOL_ERROR|PAYLOAD_TOO_LARGE/);
    }
  });

  it('a peer that sends half a frame and stalls costs bounded memory; others are unaffected', async () => {
    const [a, b] = createConduitPair();
    const s = createSession(b, {
      role: 'server',
      keepalive: { interval: 20, timeout: 100 },
      handler: echo,
    });
    const peer = rawPeer(a);
    const hello = Buffer.from(
      JSON.stringify({
        versions: [1],
        maxFrameSize: 65536,
        window: 8,
        streamCredit: 8,
        methods: [],
      }),
    );
    peer.writer.frame(FrameType.HELLO, 0, 2, 0, 0, hello);
    await tick();
    const half = Buffer.alloc(HEADER_SIZE);
    half.writeUInt16LE(0x59f5, 0);
    half[2] = 1;
    half[3] = FrameType.REQUEST;
    half.writeUInt32LE(1, 8);
    half.writeUInt32LE(1000, 16);
    peer.writeBytes(half);
    const other = pair(echo);
    expect(await other.client.call('x', 'unaffected')).toBe('unaffected');
    await s.closed; // the keepalive timeout reaps it
    other.client.close();
  });
});
