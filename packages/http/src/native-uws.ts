import type * as Uws from 'uWebSockets.js';
import uws from 'uWebSockets.js';

/** The uWebSockets.js module shape we rely on. */
export type UwsModule = typeof Uws;

/**
 * Thrown at start-up when uWebSockets.js resolved to its pure-JS fallback (or
 * did not load at all). The fallback is silent and many times slower, so a
 * gateway refuses to start on it rather than quietly losing its reason to exist.
 */
export class UwsNativeError extends Error {
  override readonly name = 'UwsNativeError';
}

/** Why a module is not the native uWS binary, or undefined when it is. */
export function nativeUwsProblem(mod: unknown): string | undefined {
  if (typeof mod !== 'object' || mod === null) return 'the module did not load';
  const m = mod as Record<string, unknown>;
  const app = m.App;
  if (typeof app !== 'function') return 'the module has no App()';
  // The npm republish loads `binaries/uws_<platform>_<arch>_<abi>.node` and, if
  // that throws (or UWS_USE_FALLBACK is set), silently returns `dist/index.js`,
  // a ws-based JS re-implementation. Functions of a native addon stringify as
  // "[native code]"; the fallback's are plain JS and it lacks getParts/SSLApp.
  if (!Function.prototype.toString.call(app).includes('[native code]')) {
    return 'App() is JavaScript, not the native binary (the pure-JS fallback was loaded)';
  }
  if (typeof m.getParts !== 'function' || typeof m.us_listen_socket_close !== 'function') {
    return 'native exports are missing (getParts, us_listen_socket_close)';
  }
  return undefined;
}

function describeEnvironment(): string {
  const env = process.env.UWS_USE_FALLBACK;
  return (
    `platform=${process.platform} arch=${process.arch} node=${process.versions.node} ` +
    `abi=${process.versions.modules}${env === undefined ? '' : ` UWS_USE_FALLBACK=${env}`}`
  );
}

/** Throws {@link UwsNativeError} unless `mod` is the native uWebSockets.js addon. */
export function assertNativeUws(mod: unknown): asserts mod is UwsModule {
  const problem = nativeUwsProblem(mod);
  if (problem === undefined) return;
  throw new UwsNativeError(
    `uWebSockets.js native binary is not in use: ${problem} (${describeEnvironment()}). ` +
      'Install a uWebSockets.js build with a binary for this platform and Node ABI ' +
      '(the official GitHub release, or npm:@trufflesuite/uws-js-unofficial@20.30.0-unofficial.0 ' +
      'on linux x64 / Node 20), and unset UWS_USE_FALLBACK.',
  );
}

let checked = false;

/**
 * The uWebSockets.js module, asserted native on first use. It is a CommonJS
 * addon whose exports cannot be named statically from ESM, hence the default
 * import; the check runs when a gateway starts, not at import time.
 */
export function loadNativeUws(): UwsModule {
  if (!checked) {
    assertNativeUws(uws);
    checked = true;
  }
  return uws;
}
