import type { Context } from './context.js';

/** Runs the rest of the chain (inner middleware, then the handler) and returns its result. */
export type Next = () => Promise<unknown>;

/**
 * Middleware wraps a call: it may inspect `ctx`, refuse (throw a SwitchyardError),
 * call `next()` once, and post-process the result. For stream methods the
 * result is the output AsyncIterable. Order: edge, then service, then method.
 */
export type Middleware = (ctx: Context, next: Next) => unknown;

const REENTRANT = Symbol.for('@switchyard/core/middleware-reentrant');

/**
 * Marks a middleware as allowed to call `next()` again after the previous call
 * settled (what `retry()` does). Calling `next()` twice at once stays an error.
 */
export function reentrant<M extends Middleware>(middleware: M): M {
  (middleware as unknown as Record<symbol, boolean>)[REENTRANT] = true;
  return middleware;
}

export function isReentrant(middleware: Middleware): boolean {
  return (middleware as unknown as Record<symbol, unknown>)[REENTRANT] === true;
}
