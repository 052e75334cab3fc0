import { SwitchyardError } from '@switchyard/stream';
import { Call } from '../call.js';
import { coarseNow } from '../clock.js';
import type { Middleware } from '../middleware.js';
import { TimerWheel, type WheelEntry } from '../timer-wheel.js';

/** One wheel for every timeout() middleware: no runtime timer per call. */
const wheel = new TimerWheel();

class Guard implements WheelEntry {
  wheelAt = 0;
  wheelPrev: WheelEntry | null = null;
  wheelNext: WheelEntry | null = null;
  wheelSlot = -1;
  constructor(
    private readonly ctx: Call | undefined,
    private readonly fail: (error: SwitchyardError) => void,
    private readonly ms: number,
  ) {}

  expire(): void {
    const error = new SwitchyardError('DEADLINE_EXCEEDED', `timed out after ${this.ms} ms`);
    // Abort the call itself, so the handler sees ctx.signal fire and the caller gets the error.
    this.ctx?.abort(error);
    this.fail(error);
  }
}

/**
 * Tightens the deadline of the calls it wraps to `ms` (the method's own timeout
 * and the caller's deadline still apply when shorter). On expiry the call fails
 * with DEADLINE_EXCEEDED and `ctx.signal` fires.
 */
export function timeout(ms: number): Middleware {
  if (!(typeof ms === 'number' && ms > 0 && ms <= 2 ** 31 - 1)) {
    throw new TypeError('timeout(): ms must be a positive number');
  }
  return function timeoutMiddleware(ctx, next) {
    if (ctx.remaining() <= ms) return next();
    return new Promise<unknown>((resolve, reject) => {
      const guard = new Guard(ctx instanceof Call ? ctx : undefined, reject, ms);
      const now = coarseNow();
      wheel.add(guard, now + ms, now);
      next().then(
        (value) => {
          wheel.remove(guard);
          resolve(value);
        },
        (error: unknown) => {
          wheel.remove(guard);
          reject(error);
        },
      );
    });
  };
}
