/** Why a codec refused a value or a byte sequence. */
export type CodecErrorCode =
  /** The input ended before a complete value was read. */
  | 'TRUNCATED'
  /** The input is not a valid encoding (bad tag, bad UTF-8, trailing bytes, …). */
  | 'MALFORMED'
  /** Input or output is larger than the codec's `maxSize`. */
  | 'TOO_LARGE'
  /** The value contains a type this codec cannot carry (e.g. BigInt in JSON). */
  | 'UNSUPPORTED_TYPE'
  /** The value has the right type but does not fit (e.g. u8 = 300, string too long). */
  | 'INVALID_VALUE'
  /** A codec definition is invalid (bad id, bad layout). */
  | 'INVALID_CODEC'
  /** A registry already holds a codec with this id or name. */
  | 'DUPLICATE_CODEC'
  /** A registry holds no codec with this id or name. */
  | 'UNKNOWN_CODEC';

// A global symbol rather than the class identity, so `instanceof CodecError`
// holds even when two copies of this package end up installed side by side.
const BRAND = Symbol.for('@switchyard/codec/CodecError');

export interface CodecErrorOptions {
  /** Name of the codec that raised the error, when one did. */
  codec?: string;
  cause?: unknown;
}

export class CodecError extends Error {
  override readonly name = 'CodecError';
  readonly code: CodecErrorCode;
  readonly codec: string | undefined;

  constructor(code: CodecErrorCode, message: string, options: CodecErrorOptions = {}) {
    super(
      options.codec === undefined ? message : `${options.codec}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.code = code;
    this.codec = options.codec;
    Object.defineProperty(this, BRAND, { value: true });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && BRAND in value;
  }
}

/** True when `value` is a CodecError (from any installed copy of this package). */
export function isCodecError(value: unknown): value is CodecError {
  return value instanceof CodecError;
}
