import { SwitchyardError } from '@switchyard/stream';

/** WebSocket close codes (RFC 6455 §7.4.1) this package sends. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  TRY_AGAIN_LATER: 1013,
} as const;

/** A close reason must fit in a control frame: 125 bytes minus the 2-byte code. */
const MAX_REASON_BYTES = 123;

const encoder = new TextEncoder();

/** Cuts `reason` to what a close frame can carry, never splitting a UTF-8 sequence. */
export function truncateReason(reason: string): string {
  if (reason.length <= MAX_REASON_BYTES / 3) return reason;
  const bytes = encoder.encode(reason);
  if (bytes.byteLength <= MAX_REASON_BYTES) return reason;
  let end = MAX_REASON_BYTES;
  // Step back over continuation bytes (10xxxxxx) so the cut lands on a boundary.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return new TextDecoder().decode(bytes.subarray(0, end));
}

/** Maps why a connection is being closed to the close code a peer can act on. */
export function closeCodeFor(error: Error | undefined): number {
  if (error === undefined) return CloseCode.NORMAL;
  if (!(error instanceof SwitchyardError)) return CloseCode.INTERNAL_ERROR;
  switch (error.code) {
    case 'PROTOCOL_ERROR':
    case 'INVALID_ARGUMENT':
      return CloseCode.PROTOCOL_ERROR;
    case 'PAYLOAD_TOO_LARGE':
      return CloseCode.MESSAGE_TOO_BIG;
    case 'RESOURCE_EXHAUSTED':
      return CloseCode.POLICY_VIOLATION;
    case 'UNAVAILABLE':
    case 'CANCELLED':
      return CloseCode.GOING_AWAY;
    case 'UNSUPPORTED_MEDIA_TYPE':
      return CloseCode.UNSUPPORTED_DATA;
    default:
      return CloseCode.INTERNAL_ERROR;
  }
}
