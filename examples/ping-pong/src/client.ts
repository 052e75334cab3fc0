import * as net from 'node:net';
import { createClient, SwitchyardError } from '@switchyard/core';
import { connectSession } from '@switchyard/tcp';
import { type Landing, type Player, type Rules, type Stroke, Umpire } from './game.js';
import type { PingPong } from './service.js';

export interface Address {
  host: string;
  port: number;
}

export interface Welcome {
  token: string;
  rules: Rules;
  greeting: string;
}

/**
 * State 1, text: one NDJSON line each way over a plain socket. Nothing here
 * needs Switchyard; `nc` or any language can do the handshake.
 */
export async function hello(
  address: Address,
  input: { player: string; pointsToWin?: number },
): Promise<Welcome> {
  const socket = net.connect(address);
  try {
    socket.write(`${JSON.stringify({ id: 1, method: 'pingpong.hello', input })}\n`);
    const reply = JSON.parse(await firstLine(socket)) as { result?: Welcome; error?: unknown };
    if (reply.error !== undefined) throw SwitchyardError.fromJSON(reply.error);
    return reply.result as Welcome;
  } finally {
    socket.destroy();
  }
}

export interface PlayOptions {
  /** The client's luck for each stroke (default Math.random). */
  luck?: () => number;
  /** Called after each stroke, the client's and the server's. */
  onStroke?: (player: Player, stroke: Stroke, landing: Landing, umpire: Umpire) => void;
}

/**
 * State 2, binary: a typed session on a second connection and one bidi stream
 * for the whole match. Our umpire says when a pong is due, and checks it.
 */
export async function play(
  address: Address,
  welcome: Welcome,
  options: PlayOptions = {},
): Promise<Umpire> {
  const { luck = Math.random, onStroke } = options;
  const session = await connectSession(address, { keepalive: false });
  try {
    const client = createClient<PingPong>(session);
    const rally = client.pingpong.play.open({ metadata: { token: welcome.token } });
    const pongs = rally[Symbol.asyncIterator]();
    const umpire = new Umpire(welcome.rules);
    while (umpire.winner === undefined) {
      const ping = umpire.next(luck());
      onStroke?.('client', ping, umpire.judge('client', ping), umpire);
      await rally.send(ping);
      if (umpire.turn === 'server') {
        const pong = await pongs.next();
        if (pong.done) throw new SwitchyardError('DATA_LOSS', 'the server left mid-rally');
        onStroke?.('server', pong.value, umpire.judge('server', pong.value), umpire);
      }
    }
    rally.end();
    // The server ends its side once it has judged our last stroke the same way.
    if (!(await pongs.next()).done) {
      throw new SwitchyardError('FAILED_PRECONDITION', 'the server played after match point');
    }
    return umpire;
  } finally {
    session.close();
  }
}

function firstLine(socket: net.Socket, timeout = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeout, () =>
      reject(new SwitchyardError('DEADLINE_EXCEEDED', 'no answer to hello')),
    );
    socket.on('data', (chunk: string) => {
      text += chunk;
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end));
      else if (text.length > 64 * 1024)
        reject(new SwitchyardError('PROTOCOL_ERROR', 'hello reply too long'));
    });
    socket.on('error', (e) => reject(new SwitchyardError('UNAVAILABLE', e.message, { cause: e })));
    socket.on('close', () =>
      reject(new SwitchyardError('UNAVAILABLE', 'connection closed during the handshake')),
    );
  });
}
