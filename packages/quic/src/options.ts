import type { QuicLogHook } from './quic-support.js';

/** PEM text or bytes, as @matrixai/quic takes them. */
export type Pem = string | Uint8Array;

/** Tuning shared by the listener and the client. */
export interface QuicTuning {
  /** Close a connection silent for this many ms (QUIC max_idle_timeout; default 60 000). */
  idleTimeout?: number;
  /** Concurrent bidirectional streams (calls + 1 control) the peer may open (default 128). */
  maxStreams?: number;
  /** How long a new call waits for stream credit from the peer before RESOURCE_EXHAUSTED (default 10 000 ms). */
  streamWaitTimeout?: number;
  /** Calls that may wait for stream credit at once (default 1024). */
  maxWaitingStreams?: number;
  /** Largest frame accepted on one QUIC stream, bytes (default 4 MiB + 1 KiB); incomplete frames across all streams are capped at 4× this. */
  maxFrameSize?: number;
  /** Bytes handed to QUIC but not yet accepted before the session is told to wait (default 1 MiB). */
  highWaterMark?: number;
  /**
   * Give each call this side starts its own QUIC stream (default true). With
   * false, this side's calls share the control stream: ~2× lower latency on
   * @matrixai/quic here, but one slow or lost packet delays every call.
   */
  streamPerCall?: boolean;
  /** ALPN protocol ids (default ['switchyard']); both ends must share one. */
  alpn?: string[];
  /** Warnings and errors from @matrixai/quic (its debug/info chatter is dropped). */
  onLog?: QuicLogHook;
}

export const DEFAULTS = {
  idleTimeout: 60_000,
  maxStreams: 128,
  streamWaitTimeout: 10_000,
  maxWaitingStreams: 1024,
  maxFrameSize: 4 * 1024 * 1024 + 1024,
  highWaterMark: 1024 * 1024,
  alpn: ['switchyard'],
} as const;

export function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`quic: ${name} must be a positive finite number, got ${String(value)}`);
  }
  return value;
}
