import { SwitchyardError } from '@switchyard/core';

/**
 * The rules of ping-pong, shared by the client and the server: each side runs
 * its own `Umpire`, judges its own strokes and the opponent's, and both reach
 * the same score without ever sending it.
 */

export type Player = 'client' | 'server';

/** What the two sides agree on in the handshake. */
export interface Rules {
  /** Points that win the match. */
  readonly pointsToWin: number;
  /** Chance that a stroke lands on the table (0..1). */
  readonly accuracy: number;
}

/** One stroke: its number in the match and the striker's luck (0 ≤ luck < 1). */
export interface Stroke {
  readonly n: number;
  readonly luck: number;
}

/** 'in' keeps the rally going; 'net' and 'out' give the point to the opponent. */
export type Landing = 'in' | 'net' | 'out';

export const opponent = (player: Player): Player => (player === 'client' ? 'server' : 'client');

export class Umpire {
  readonly score: Record<Player, number> = { client: 0, server: 0 };
  /** Who strikes next. The client serves every point. */
  turn: Player = 'client';
  /** Strokes played so far. */
  strokes = 0;

  constructor(readonly rules: Rules) {}

  get winner(): Player | undefined {
    if (this.score.client >= this.rules.pointsToWin) return 'client';
    if (this.score.server >= this.rules.pointsToWin) return 'server';
    return undefined;
  }

  /** The next stroke for whoever's turn it is. */
  next(luck: number = Math.random()): Stroke {
    return { n: this.strokes + 1, luck };
  }

  /** Judges `player`'s stroke and moves the game on; throws on a stroke out of turn. */
  judge(player: Player, stroke: Stroke): Landing {
    if (this.winner !== undefined) {
      throw new SwitchyardError('FAILED_PRECONDITION', `the match is over: ${this.winner} won`);
    }
    if (player !== this.turn || stroke.n !== this.strokes + 1) {
      throw new SwitchyardError(
        'FAILED_PRECONDITION',
        `out of turn: stroke ${this.strokes + 1} is the ${this.turn}'s, got ${player}'s stroke ${stroke.n}`,
      );
    }
    if (!(stroke.luck >= 0 && stroke.luck < 1)) {
      throw new SwitchyardError('INVALID_ARGUMENT', 'luck must be in [0, 1)');
    }
    this.strokes++;
    const { accuracy } = this.rules;
    const landing: Landing =
      stroke.luck < accuracy ? 'in' : stroke.luck < (1 + accuracy) / 2 ? 'net' : 'out';
    if (landing === 'in') {
      this.turn = opponent(player);
    } else {
      this.score[opponent(player)]++;
      this.turn = 'client';
    }
    return landing;
  }
}
