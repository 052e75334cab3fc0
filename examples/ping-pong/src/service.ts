import { randomUUID } from 'node:crypto';
import { auth, method, principalOf, service } from '@switchyard/core';
import { z } from 'zod';
import { type Rules, type Stroke, Umpire } from './game.js';

export interface PingPongOptions {
  /** Chance that a stroke lands (default 0.8). */
  accuracy?: number;
  /** The server's luck for each stroke (default Math.random). */
  luck?: () => number;
  /** Handshakes waiting for their match, at most; the oldest is dropped first (default 1000). */
  maxWaiting?: number;
}

/**
 * Two states, two methods: `hello` negotiates the rules in text mode and hands
 * out a one-match token; `play` is the binary rally, one bidi stream per match.
 */
export function pingPong(options: PingPongOptions = {}) {
  const { accuracy = 0.8, luck = Math.random, maxWaiting = 1000 } = options;
  const waiting = new Map<string, Rules>();
  const take = (token = ''): Rules | undefined => {
    const rules = waiting.get(token);
    waiting.delete(token);
    return rules;
  };

  return service('pingpong', {
    hello: method({
      input: z.object({
        player: z.string().min(1).max(32),
        pointsToWin: z.number().int().min(1).max(21).optional(),
      }),
      handler: ({ player, pointsToWin = 11 }) => {
        const token = randomUUID();
        const rules: Rules = { pointsToWin, accuracy };
        if (waiting.size >= maxWaiting) waiting.delete(waiting.keys().next().value as string);
        waiting.set(token, rules);
        return { token, rules, greeting: `hi ${player}: first to ${pointsToWin} wins, you serve` };
      },
    }),

    play: method({
      kind: 'bidi',
      input: z.object({ n: z.number().int().positive(), luck: z.number().min(0).lt(1) }),
      // A token buys one match: taking it from the waiting room is the authentication.
      middleware: [auth((ctx) => take(ctx.metadata.token))],
      async *handler(strokes, ctx): AsyncIterable<Stroke> {
        const umpire = new Umpire(principalOf<Rules>(ctx) as Rules);
        for await (const ping of strokes) {
          umpire.judge('client', ping);
          if (umpire.turn === 'server') {
            const pong = umpire.next(luck());
            umpire.judge('server', pong);
            yield pong;
          }
        }
      },
    }),
  });
}

export type PingPong = ReturnType<typeof pingPong>;
