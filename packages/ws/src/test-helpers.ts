import { createEdge, type Edge, method, service, silentLogger } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/stream';
import WebSocket from 'ws';
import { z } from 'zod';
import { type WsGateway, type WsGatewayOptions, wsGateway } from './ws-gateway.js';

/** How many `slow` handlers saw their signal abort (cancel, deadline, disconnect). */
export const handlerAborts = { count: 0 };

/** The service every ws test serves: unary, streams, push and topics. */
export const greeter = service('greeter', {
  hello: method<{ name: string }, { msg: string }>({
    input: z.object({ name: z.string() }),
    output: z.object({ msg: z.string() }),
    handler: ({ name }, ctx) => ({
      msg: `hi ${name}${ctx.metadata.user ? ` from ${ctx.metadata.user}` : ''}`,
    }),
  }),
  echo: method<Uint8Array | string, Uint8Array | string>({ handler: (input) => input }),
  bytes: method<{ n: number }, Uint8Array>({
    handler: ({ n }) => Uint8Array.from({ length: n }, (_, i) => i),
  }),
  fail: method<void, void>({
    handler: () => {
      throw new SwitchyardError('PERMISSION_DENIED', 'not you', { data: { why: 'test' } });
    },
  }),
  count: method<{ to: number }, number>({
    kind: 'server-stream',
    handler: async function* ({ to }) {
      for (let i = 1; i <= to; i++) yield i;
    },
  }),
  sum: method<number, number>({
    kind: 'client-stream',
    handler: async (items) => {
      let total = 0;
      for await (const n of items) total += n;
      return total;
    },
  }),
  slow: method<{ ms: number }, string>({
    handler: (input, ctx) =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => resolve('done'), input.ms);
        ctx.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          handlerAborts.count++;
          reject(ctx.signal.reason);
        });
      }),
  }),
  join: method<{ room: string }, string>({
    handler: ({ room }, ctx) => {
      ctx.subscribe(room);
      ctx.push('welcome', { room });
      return ctx.connection.id;
    },
  }),
  say: method<{ room: string; text: string }, void>({
    handler: ({ room, text }, ctx) => {
      ctx.publish(room, { text });
    },
  }),
});

export interface Served {
  edge: Edge;
  gateway: WsGateway;
  url: string;
  close(): Promise<void>;
}

/** Starts an edge with one ws gateway on 127.0.0.1 and a free port. */
export async function serve(options: WsGatewayOptions = {}): Promise<Served> {
  const gateway = wsGateway({ host: '127.0.0.1', port: 0, ...options });
  const edge = createEdge({ services: [greeter], gateways: [gateway], logger: silentLogger });
  await edge.start();
  return {
    edge,
    gateway,
    url: `ws://127.0.0.1:${gateway.port}/`,
    close: () => edge.shutdown({ timeout: 2000 }),
  };
}

/** A raw `ws` client collecting text messages and the close event. */
export interface RawClient {
  socket: WebSocket;
  messages: unknown[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the next message matching `match`. */
  next(
    match?: (message: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
}

export async function rawClient(
  url: string,
  options: WebSocket.ClientOptions = {},
): Promise<RawClient> {
  const socket = new WebSocket(url, options);
  const messages: unknown[] = [];
  const waiters: {
    match: (m: Record<string, unknown>) => boolean;
    resolve: (m: Record<string, unknown>) => void;
  }[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  socket.on('message', (data, isBinary) => {
    const message = isBinary ? data : JSON.parse(String(data));
    messages.push(message);
    for (const w of [...waiters]) {
      if (!isBinary && w.match(message as Record<string, unknown>)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(message as Record<string, unknown>);
        return;
      }
    }
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  return {
    socket,
    messages,
    closed,
    next(match = () => true, timeoutMs = 5000) {
      const found = messages.find(
        (m) =>
          typeof m === 'object' &&
          m !== null &&
          !(m instanceof Buffer) &&
          match(m as Record<string, unknown>),
      );
      if (found !== undefined) {
        messages.splice(messages.indexOf(found), 1);
        return Promise.resolve(found as Record<string, unknown>);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no matching message in time')), timeoutMs);
        waiters.push({
          match,
          resolve: (m) => {
            clearTimeout(timer);
            messages.splice(messages.indexOf(m), 1);
            resolve(m);
          },
        });
      });
    },
  };
}

/** A masked (zero key) binary client frame: enough for tests that write raw bytes. */
export function maskedFrame(payload: Uint8Array, opcode = 0x2): Buffer {
  const len = payload.byteLength;
  const headerLen = len < 126 ? 6 : len < 65536 ? 8 : 14;
  const frame = Buffer.alloc(headerLen + len);
  frame[0] = 0x80 | opcode;
  if (len < 126) frame[1] = 0x80 | len;
  else if (len < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  frame.set(payload, headerLen);
  return frame;
}

/** Opens a TCP socket and completes the WebSocket upgrade; nothing else is read. */
export function rawUpgrade(port: number): Promise<import('node:net').Socket> {
  return import('node:net').then(
    ({ connect }) =>
      new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port });
        let head = '';
        const onData = (chunk: Buffer): void => {
          head += chunk.toString('latin1');
          if (!head.includes('\r\n\r\n')) return;
          socket.off('data', onData);
          // Stop reading from here on: callers decide whether to read.
          socket.pause();
          if (head.startsWith('HTTP/1.1 101')) resolve(socket);
          else reject(new Error(head.split('\r\n')[0]));
        };
        socket.on('data', onData);
        socket.once('error', reject);
        socket.once('connect', () =>
          socket.write(
            `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
          ),
        );
      }),
  );
}

/** Resolves once `check` holds, polling; rejects after `timeoutMs`. */
export async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Stream-protocol frames for tests that speak binary mode over a raw socket. */
export async function streamFrames(): Promise<{
  hello: Uint8Array;
  request(seq: number, method: string, payload: Uint8Array): Uint8Array;
}> {
  const { FrameWriter, FrameType, FLAG_RAW } = await import('@switchyard/stream');
  const build = (fill: (w: InstanceType<typeof FrameWriter>) => void): Uint8Array => {
    let out: Uint8Array | undefined;
    const writer = new FrameWriter({
      write: (chunk) => {
        out = new Uint8Array(chunk);
        return true;
      },
      schedule: () => {},
    });
    fill(writer);
    writer.flush();
    return out!;
  };
  const helloBody = Buffer.from(
    JSON.stringify({
      versions: [1],
      role: 'client',
      codec: 1,
      codecs: [0, 1, 2],
      maxFrameSize: 4 * 1024 * 1024,
      window: 1024,
      streamCredit: 64,
      keepalive: null,
      methods: [],
    }),
  );
  return {
    hello: build((w) => w.frame(FrameType.HELLO, 0, 2, 0, 0, helloBody)),
    request: (seq, method, payload) =>
      build((w) => w.frame(FrameType.REQUEST, FLAG_RAW, 1, seq, method, undefined, payload)),
  };
}
