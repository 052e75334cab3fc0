import uWS from 'uWebSockets.js';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createEdge, silentLogger } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { assertNativeUws, isNativeUws } from './native-check.js';
import { greeter } from './test-helpers.js';
import { wsGateway } from './ws-gateway.js';

/** The alias package's pure-JS fallback, loaded directly (what UWS_USE_FALLBACK would load). */
function loadFallback(): typeof uWS {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('uWebSockets.js');
  return require(join(dirname(entry), '..', 'dist', 'index.js')) as typeof uWS;
}

describe('native uWebSockets.js check', () => {
  it('recognises the native addon', () => {
    expect(isNativeUws(uWS)).toBe(true);
    expect(() => assertNativeUws(uWS)).not.toThrow();
  });

  it('rejects the JS fallback and anything else', () => {
    expect(isNativeUws(loadFallback())).toBe(false);
    expect(isNativeUws({ App: () => ({}) })).toBe(false);
    expect(isNativeUws(undefined)).toBe(false);
    expect(isNativeUws(null)).toBe(false);
    expect(() => assertNativeUws({})).toThrow(/native binary did not load/);
  });

  it('refuses to start a gateway on the fallback, loudly', async () => {
    const gateway = wsGateway({ host: '127.0.0.1', port: 0, uws: loadFallback() });
    const edge = createEdge({ services: [greeter], gateways: [gateway], logger: silentLogger });
    await expect(edge.start()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
