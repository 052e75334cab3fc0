// Shared settings for the property-based tests (not part of the public API).
// A run is replayable: SEED=<n> pins the seed, SWITCHYARD_SOAK=1 runs many more cases.
import fc from 'fast-check';
import { vi } from 'vitest';

const envSeed = process.env.SEED;
export const seed =
  envSeed !== undefined && envSeed !== ''
    ? Number(envSeed)
    : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;

const soak = process.env.SWITCHYARD_SOAK === '1';

// Property tests on a loaded 2-core machine can outlast vitest's 5 s default;
// a soak run is 50× longer still. Applies to every file importing this module.
vi.setConfig({ testTimeout: soak ? 600_000 : 30_000 });

/** Runs a property; on failure the error names the seed to replay with. */
export function check<Ts extends [unknown, ...unknown[]]>(
  property: fc.IProperty<Ts>,
  numRuns = 200,
): void {
  try {
    fc.assert(property, { seed, numRuns: soak ? numRuns * 50 : numRuns });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`property failed; replay with SEED=${seed}`);
    throw new Error(`SEED=${seed}: ${message}`, { cause: error });
  }
}

/** Strings without lone surrogates (UTF-8 cannot carry those losslessly). */
export const wellFormedString = (maxLength = 24) => fc.string({ unit: 'grapheme', maxLength });
