import { SwitchyardError } from '@switchyard/stream';

/**
 * Some uWebSockets.js builds (the npm republish among them) silently fall back
 * to a slow pure-JS implementation when their native binary does not load, or
 * when UWS_USE_FALLBACK is set. A gateway on the fallback still answers, only
 * an order of magnitude slower, so we refuse to start instead.
 */
export function isNativeUws(mod: unknown): boolean {
  if (typeof mod !== 'object' && typeof mod !== 'function') return false;
  if (mod === null) return false;
  const app = (mod as { App?: unknown }).App;
  if (typeof app !== 'function') return false;
  // A function exported by a native addon prints as `[native code]`; the JS
  // fallback prints its source.
  return Function.prototype.toString.call(app).includes('[native code]');
}

/** Throws a clear error unless `mod` is the native uWebSockets.js addon. */
export function assertNativeUws(mod: unknown): void {
  if (isNativeUws(mod)) return;
  const forced = typeof process !== 'undefined' && process.env.UWS_USE_FALLBACK;
  throw new SwitchyardError(
    'FAILED_PRECONDITION',
    forced
      ? 'uWebSockets.js is running its JS fallback because UWS_USE_FALLBACK is set; unset it to use the native binary'
      : 'uWebSockets.js native binary did not load (JS fallback in use): install a build matching this platform and Node ABI',
  );
}
