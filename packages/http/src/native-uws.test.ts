import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { assertNativeUws, loadNativeUws, nativeUwsProblem, UwsNativeError } from './native-uws.js';

const require = createRequire(import.meta.url);

describe('native uWebSockets.js check', () => {
  it('accepts the native binary this workspace installs', () => {
    const uws = loadNativeUws();
    expect(nativeUwsProblem(uws)).toBeUndefined();
    expect(typeof uws.App).toBe('function');
  });

  it('refuses the pure-JS fallback the package loads when its binary fails', () => {
    // The same module uws.js returns on a load failure or with UWS_USE_FALLBACK set.
    const fallback = require('uWebSockets.js/dist/index.js');
    expect(nativeUwsProblem(fallback)).toMatch(/pure-JS fallback/);
    expect(() => assertNativeUws(fallback)).toThrow(UwsNativeError);
    expect(() => assertNativeUws(fallback)).toThrow(/UWS_USE_FALLBACK|official GitHub release/);
  });

  it('refuses anything that is not uWS at all', () => {
    expect(nativeUwsProblem(undefined)).toMatch(/did not load/);
    expect(nativeUwsProblem({})).toMatch(/no App/);
    expect(nativeUwsProblem({ App: () => {} })).toMatch(/JavaScript/);
  });
});
