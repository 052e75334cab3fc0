import type { Connection, Metadata } from './connection.js';
import type { Logger } from './logger.js';
import type { MethodEntry } from './method-entry.js';

/**
 * A call as any gateway hands it to the edge: protocol-specific code ends here.
 * Gateways decode bytes with their codec; the edge validates, runs middleware
 * and the handler, and enforces the deadline.
 */
export interface DispatchRequest {
  /** The entry itself (fastest), a numeric id, or an RPC name. */
  method: MethodEntry | number | string;
  /** Decoded input (unary and server-stream). */
  input?: unknown;
  /** Decoded input items (client-stream and bidi). */
  inputStream?: AsyncIterable<unknown>;
  metadata?: Metadata;
  connection: Connection;
  /** Absolute deadline on the `performance.now()` clock (IncomingCall.deadline fits as is); the method timeout caps it. */
  deadline?: number;
  /** Aborted when the caller goes away or cancels. */
  signal?: AbortSignal;
  /** Encoded size in bytes, when the gateway knows it; checked against `limits.maxInputBytes`. */
  inputSize?: number;
}

export interface GatewayHost {
  /**
   * Runs a call. Resolves with the output (unary, client-stream) or an
   * AsyncIterable of outputs (server-stream, bidi); rejects only with a
   * SwitchyardError whose `toJSON()` is safe to send to the client.
   */
  dispatch(request: DispatchRequest): Promise<unknown>;
  /**
   * Like `dispatch`, but a call that completes synchronously (a synchronous
   * handler, no async middleware or schema) returns its output, or its output
   * stream, directly instead of a promise; any other call returns a Promise.
   * Failures are a rejected Promise, as with `dispatch`. Lets a gateway write
   * a synchronous handler's reply in the same tick, without a promise per
   * call. Optional so that other hosts keep working: fall back to `dispatch`.
   */
  dispatchNow?(request: DispatchRequest): unknown;
  /** Finds a method by numeric id or RPC name in O(1). */
  lookup(method: number | string): MethodEntry | undefined;
  readonly logger: Logger;
  readonly limits: { readonly maxInputBytes: number };
  /** True once shutdown began: refuse new connections; dispatch already answers UNAVAILABLE. */
  readonly draining: boolean;
  connectionOpened(connection: Connection): void;
  connectionClosed(connection: Connection, error?: Error): void;
  /** Publishes to every gateway and the cluster (e.g. a client publishing through the gateway). */
  publish(topic: string, value: unknown): void;
}

/**
 * A way in: HTTP, WebSocket, TCP, QUIC, in-memory… Lifecycle, driven by the edge:
 * `register` (once, before start) → `start(host)` → on shutdown `drain()` (stop
 * accepting) → `stop({timeout})` (close; by then in-flight calls have finished
 * or been aborted).
 */
export interface Gateway {
  /** Unique per edge; shows up as `ctx.connection.gateway`. */
  readonly name: string;
  /** Every method of the edge; keep those with selectors you understand, ignore the rest. */
  register(methods: readonly MethodEntry[]): void;
  start(host: GatewayHost): Promise<void>;
  /** Stop accepting new connections and calls (e.g. close the listener, send GOAWAY). Optional. */
  drain?(): void | Promise<void>;
  /** Close everything within `timeout` ms. */
  stop(options: { readonly timeout: number }): Promise<void>;
  /** Deliver a published value to the local subscribers of `topic`. Optional: gateways without pub/sub omit it. */
  publish?(topic: string, value: unknown): void;
}
