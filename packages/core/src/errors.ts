import { SwitchyardError } from '@switchyard/stream';
import type { Logger } from './logger.js';

/**
 * The one exit for errors towards clients: a SwitchyardError passes through;
 * anything else (an Error, a string, undefined…) becomes INTERNAL with a
 * generic message, and the original goes to the server log only.
 */
export function toPublicError(value: unknown, logger: Logger, method: string): SwitchyardError {
  if (value instanceof SwitchyardError) {
    if (value.code === 'INTERNAL' || value.code === 'UNKNOWN') {
      logger.error('handler failed', { method, code: value.code, cause: value.cause ?? value });
    }
    return value;
  }
  logger.error('handler threw a non-SwitchyardError', { method, cause: value });
  return new SwitchyardError('INTERNAL', 'internal error', { cause: value });
}

/** Cheap thenable check: handlers may return foreign promise implementations. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
