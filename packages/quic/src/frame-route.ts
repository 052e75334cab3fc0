import { FLAG_CALLEE, FrameType, Kind } from '@switchyard/stream';
import type { FrameHead } from './frame-splitter.js';

/**
 * Where a frame travels in the QUIC mapping (PROTOCOL-QUIC.md):
 * - `control`: the connection's control stream (HELLO, PING, PONG, GOAWAY,
 *   PUSH, notifications: everything with seq 0 or outside any call);
 * - `own`: the QUIC stream of a call this side started (keyed by our seq);
 * - `peer`: the QUIC stream of a call the peer started (keyed by its seq).
 */
export type Route = 'control' | 'own' | 'peer';

const KIND_MASK = 0x07;

/** Route of a frame as seen by the side that SENDS it. */
export function routeOutgoing(h: FrameHead): Route {
  if (h.seq === 0) return 'control';
  switch (h.type) {
    case FrameType.HELLO:
    case FrameType.PING:
    case FrameType.PONG:
    case FrameType.GOAWAY:
    case FrameType.PUSH:
      return 'control';
    case FrameType.REQUEST:
      return (h.flags & KIND_MASK) === Kind.NOTIFY ? 'control' : 'own';
    case FrameType.CANCEL:
      return 'own';
    case FrameType.RESPONSE:
    case FrameType.ERROR:
      return 'peer';
    default:
      // STREAM_DATA, STREAM_END, CREDIT: the CALLEE flag tells whose call it is (§4.2).
      return h.flags & FLAG_CALLEE ? 'peer' : 'own';
  }
}

/** True when, after this frame from the callee, nothing more flows on that call (§6.1). */
export function endsCallFromCallee(h: FrameHead): boolean {
  return (
    h.type === FrameType.RESPONSE ||
    h.type === FrameType.ERROR ||
    (h.type === FrameType.STREAM_END && (h.flags & FLAG_CALLEE) !== 0)
  );
}
