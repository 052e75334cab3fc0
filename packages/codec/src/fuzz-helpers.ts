// Helpers for the fuzz tests (not part of the public API).
import { expect } from 'vitest';
import type { Codec } from './codec.js';
import { CodecError } from './codec-error.js';

/**
 * Decodes arbitrary bytes; passes when decoding succeeds or fails with a
 * CodecError, fails the property on any other exception.
 */
export function decodeOrCodecError(codec: Codec<any>, bytes: Uint8Array): CodecError | undefined {
  try {
    codec.decode(bytes);
    return undefined;
  } catch (error) {
    if (!(error instanceof CodecError)) {
      throw new Error(`non-CodecError from ${codec.name}: ${String(error)}`, { cause: error });
    }
    return error;
  }
}

/** Asserts that `fn` throws a CodecError with this code. */
export function expectCodecError(fn: () => unknown, code: CodecError['code']): CodecError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).code).toBe(code);
    return error as CodecError;
  }
  throw new Error(`expected CodecError ${code}, but nothing was thrown`);
}

/** encodeInto at an offset must reproduce encode's bytes and leave the prefix alone. */
export function checkEncodeInto(codec: Codec<any>, value: unknown): void {
  const expected = codec.encode(value);
  const offset = 3;
  const small = new Uint8Array(offset + Math.max(0, expected.length - 1)).fill(0xee);
  if (expected.length > 0) {
    const result = codec.encodeInto(value, small, offset);
    expect(result).toBeLessThan(0);
    expect(Array.from(small.subarray(0, offset))).toEqual([0xee, 0xee, 0xee]);
    // The contract: -result bytes of room are enough for a retry.
    const grown = new Uint8Array(offset - result).fill(0xee);
    const written = codec.encodeInto(value, grown, offset);
    expect(written).toBe(expected.length);
    expect(Array.from(grown.subarray(offset, offset + written))).toEqual(Array.from(expected));
    expect(Array.from(grown.subarray(0, offset))).toEqual([0xee, 0xee, 0xee]);
  }
  const roomy = new Uint8Array(offset + expected.length + 16);
  expect(codec.encodeInto(value, roomy, offset)).toBe(expected.length);
  expect(Array.from(roomy.subarray(offset, offset + expected.length))).toEqual(
    Array.from(expected),
  );
}
