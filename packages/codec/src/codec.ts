import { CodecError } from './codec-error.js';

/** Default upper bound on one encoded value, in bytes (16 MiB). */
export const DEFAULT_MAX_SIZE = 16 * 1024 * 1024;

/**
 * A codec turns values into bytes and back. Its `id` travels in every frame
 * header (one byte), so both peers must agree on what each id means.
 *
 * Contract shared by every codec in this package:
 * - `decode` and `encode` throw only `CodecError`.
 * - `decode` rejects input longer than `maxSize` before reading it; `encode`
 *   and `encodeInto` reject output longer than `maxSize`.
 */
export interface Codec<T = unknown> {
  /** Wire id, an integer 0–255. Ids 0–15 are reserved for Switchyard's own codecs. */
  readonly id: number;
  /** Unique, human-readable name (`'msgpackr'`, `'json'`, …). */
  readonly name: string;
  /** Largest encoded value accepted in either direction, in bytes. */
  readonly maxSize: number;
  /** Encodes `value` into a fresh (or codec-owned, see the codec's docs) Uint8Array. */
  encode(value: T): Uint8Array;
  /**
   * Hot path: encodes `value` into `target` starting at `offset`, without
   * allocating an output buffer.
   *
   * Returns the number of bytes written (≥ 0) when the value fit. When
   * `target.length - offset` is too small it returns a negative number `-n`,
   * where `n` bytes of room are guaranteed to be enough for the same value:
   * grow the buffer to at least `offset + n` and call again. After a negative
   * result the bytes of `target` from `offset` on are unspecified (they may
   * have been partly written); bytes before `offset` are never touched.
   * Throws CodecError for values the codec cannot encode or that exceed
   * `maxSize`, and for an `offset` outside `0..target.length`.
   */
  encodeInto(value: T, target: Uint8Array, offset: number): number;
  /** Decodes exactly one value occupying all of `bytes`. */
  decode(bytes: Uint8Array): T;
}

/** Throws INVALID_CODEC unless `id` is an integer 0–255 and `name` a non-empty string. */
export function checkCodecIdentity(id: unknown, name: unknown): void {
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id > 255) {
    throw new CodecError('INVALID_CODEC', `codec id must be an integer 0–255, got ${String(id)}`);
  }
  if (typeof name !== 'string' || name.length === 0) {
    throw new CodecError('INVALID_CODEC', 'codec name must be a non-empty string');
  }
}

/** Throws INVALID_CODEC unless `maxSize` is a positive safe integer; returns it. */
export function checkMaxSize(maxSize: number | undefined): number {
  if (maxSize === undefined) return DEFAULT_MAX_SIZE;
  if (!Number.isSafeInteger(maxSize) || maxSize <= 0) {
    throw new CodecError('INVALID_CODEC', `maxSize must be a positive integer, got ${maxSize}`);
  }
  return maxSize;
}

/** Rejects non-Uint8Array input and input over `maxSize` before any parsing. */
export function checkDecodeInput(bytes: unknown, maxSize: number, codec: string): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new CodecError('UNSUPPORTED_TYPE', 'decode expects a Uint8Array', { codec });
  }
  if (bytes.length > maxSize) {
    throw new CodecError('TOO_LARGE', `input of ${bytes.length} bytes exceeds maxSize ${maxSize}`, {
      codec,
    });
  }
}

export function checkEncodedSize(size: number, maxSize: number, codec: string): void {
  if (size > maxSize) {
    throw new CodecError('TOO_LARGE', `encoded ${size} bytes exceeds maxSize ${maxSize}`, {
      codec,
    });
  }
}

export function checkTarget(target: unknown, offset: number, codec: string): void {
  if (!(target instanceof Uint8Array)) {
    throw new CodecError('UNSUPPORTED_TYPE', 'encodeInto expects a Uint8Array target', { codec });
  }
  if (!Number.isInteger(offset) || offset < 0 || offset > target.length) {
    throw new CodecError(
      'INVALID_VALUE',
      `offset ${offset} is outside the target (length ${target.length})`,
      { codec },
    );
  }
}
