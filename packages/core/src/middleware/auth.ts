import { SwitchyardError } from '@switchyard/stream';
import type { Context } from '../context.js';
import type { Middleware } from '../middleware.js';

const PRINCIPAL = Symbol.for('@switchyard/core/principal');

export interface AuthOptions {
  /** Let calls without credentials through (the principal is then undefined). */
  optional?: boolean;
}

/**
 * Authentication as middleware: `verify` sees metadata and connection info and
 * returns the principal (any value), or null/undefined to refuse with
 * UNAUTHENTICATED. It may throw a SwitchyardError (e.g. PERMISSION_DENIED).
 * Handlers read the principal with `principalOf(ctx)`.
 */
export function auth<P>(
  verify: (ctx: Context) => P | null | undefined | Promise<P | null | undefined>,
  options: AuthOptions = {},
): Middleware {
  if (typeof verify !== 'function') throw new TypeError('auth(): verify must be a function');
  return async function authMiddleware(ctx, next) {
    const principal = await verify(ctx);
    if (principal === null || principal === undefined || (principal as unknown) === false) {
      if (!options.optional) {
        throw new SwitchyardError(
          'UNAUTHENTICATED',
          `authentication required for ${ctx.method.name}`,
        );
      }
    } else {
      ctx.store.set(PRINCIPAL, principal);
    }
    return next();
  };
}

/** The principal `auth()` stored for this call, if any. */
export function principalOf<P = unknown>(ctx: Context): P | undefined {
  return ctx.store.get(PRINCIPAL) as P | undefined;
}
