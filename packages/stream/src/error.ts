import { ERROR_CODES, type ErrorCode, isErrorCode } from './error-codes.js';

/**
 * Brand shared by every copy of this package in a process: `instanceof` must
 * hold even when two versions of @switchyard/stream are installed side by side.
 */
const BRAND = Symbol.for('@switchyard/error');

export interface SwitchyardErrorJSON {
  code: ErrorCode;
  message: string;
  data?: unknown;
}

export interface SwitchyardErrorOptions {
  data?: unknown;
  cause?: unknown;
}

/** The one error type of Switchyard; it travels the same way over every transport. */
export class SwitchyardError extends Error {
  override readonly name = 'SwitchyardError';
  readonly code: ErrorCode;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, options: SwitchyardErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.data = options.data;
    (this as unknown as Record<symbol, true>)[BRAND] = true;
  }

  /** HTTP status from the shared table. */
  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  /** Whether a caller may retry without knowing if the method is idempotent. */
  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return (
      typeof value === 'object' &&
      value !== null &&
      (value as Record<symbol, unknown>)[BRAND] === true
    );
  }

  /** What goes on the wire and into HTTP bodies: never a stack trace. */
  toJSON(): SwitchyardErrorJSON {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }

  /** Rebuilds an error received from a peer; a code we do not know becomes UNKNOWN. */
  static fromJSON(json: unknown): SwitchyardError {
    if (typeof json !== 'object' || json === null) {
      return new SwitchyardError('UNKNOWN', 'malformed error from peer');
    }
    const { code, message, data } = json as Record<string, unknown>;
    return new SwitchyardError(
      isErrorCode(code) ? code : 'UNKNOWN',
      typeof message === 'string' ? message : 'error from peer',
      data === undefined ? {} : { data },
    );
  }

  /**
   * Turns anything thrown by user code into a SwitchyardError. Unknown values
   * become INTERNAL with a generic message, so internals never leak to clients;
   * the original is kept as `cause` for server-side logs.
   */
  static from(value: unknown): SwitchyardError {
    if (value instanceof SwitchyardError) return value;
    return new SwitchyardError('INTERNAL', 'internal error', { cause: value });
  }
}
