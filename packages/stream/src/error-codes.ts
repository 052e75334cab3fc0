/**
 * The one table of error codes every transport carries (DESIGN.md, principle 3).
 * gRPC-like names; each code knows its HTTP status and whether a caller may
 * retry it blindly. A timeout (DEADLINE_EXCEEDED) is not blindly retryable: the
 * request may have run, so only idempotent methods retry it (principle 6).
 */
export const ERROR_CODES = {
  CANCELLED: { status: 499, retryable: false },
  UNKNOWN: { status: 500, retryable: false },
  INVALID_ARGUMENT: { status: 400, retryable: false },
  DEADLINE_EXCEEDED: { status: 504, retryable: false },
  NOT_FOUND: { status: 404, retryable: false },
  ALREADY_EXISTS: { status: 409, retryable: false },
  PERMISSION_DENIED: { status: 403, retryable: false },
  UNAUTHENTICATED: { status: 401, retryable: false },
  RESOURCE_EXHAUSTED: { status: 429, retryable: true },
  FAILED_PRECONDITION: { status: 412, retryable: false },
  ABORTED: { status: 409, retryable: true },
  OUT_OF_RANGE: { status: 400, retryable: false },
  UNIMPLEMENTED: { status: 501, retryable: false },
  INTERNAL: { status: 500, retryable: false },
  UNAVAILABLE: { status: 503, retryable: true },
  DATA_LOSS: { status: 500, retryable: false },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false },
  // HTTP's 405 and 406: other transports never produce them, but REST clients
  // branch on them and the body's code should agree with the status.
  METHOD_NOT_ALLOWED: { status: 405, retryable: false },
  NOT_ACCEPTABLE: { status: 406, retryable: false },
  PROTOCOL_ERROR: { status: 400, retryable: false },
  NOT_LEADER: { status: 503, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

/** HTTP status for a code; unknown strings map to 500. */
export function httpStatusOf(code: string): number {
  return isErrorCode(code) ? ERROR_CODES[code].status : 500;
}
