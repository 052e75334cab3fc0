export { Backoff, type BackoffOptions } from './backoff.js';
export { BoundedQueue, type TryRecvResult } from './bounded-queue.js';
export { ClientPool, type ClientPoolOptions } from './client-pool.js';
export type { Conduit, ConduitEvents, ConduitListener, ConnectionInfo } from './conduit.js';
export { type ConduitPairOptions, createConduitPair } from './conduit-pair.js';
export { SwitchyardError, type SwitchyardErrorJSON, type SwitchyardErrorOptions } from './error.js';
export { ERROR_CODES, type ErrorCode, httpStatusOf, isErrorCode } from './error-codes.js';
export {
  FailoverPool,
  type FailoverPoolOptions,
  isRetrySafe,
  type RetryBudgetOptions,
} from './failover-pool.js';
export {
  DEFAULT_MAX_FRAME_SIZE,
  FLAG_CALLEE,
  FLAG_RAW,
  FrameType,
  HEADER_SIZE,
  Kind,
  MAGIC,
  MAGIC_BYTE0,
  PROTOCOL_VERSION,
} from './frame.js';
export { FrameDecoder, type FrameDecoderOptions, type FrameView } from './frame-decoder.js';
export { FrameWriter, type FrameWriterOptions } from './frame-writer.js';
export { decodeRequestExt, encodeRequestExt, type RequestExt } from './request-ext.js';
export { serveConduit } from './serve-conduit.js';
export type { ServedConduit, ServeMode, ServeOptions } from './serve-types.js';
export { createSession, isMaybeExecuted, StreamSession } from './session.js';
export type {
  BidiCall,
  CallHandler,
  CallKind,
  CallOptions,
  ClientStreamCall,
  IncomingCall,
  KeepaliveOptions,
  NotifyOptions,
  PushListener,
  Session,
  SessionOptions,
} from './session-types.js';
export { TextSession, type TextSessionOptions } from './text-session.js';
export {
  sharedTimerWheel,
  type TimerEntry,
  TimerWheel,
  type TimerWheelOptions,
} from './timer-wheel.js';
export type { WireCodec } from './wire-codec.js';
