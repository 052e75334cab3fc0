import type { Connection, Metadata } from './connection.js';
import type { Logger } from './logger.js';
import type { MethodEntry } from './method-entry.js';

/**
 * What a handler and its middleware know about the call. One object per call;
 * the costly parts (the AbortSignal, the store) are created only when read.
 */
export interface Context {
  readonly method: MethodEntry;
  /** Validated input (undefined for client-stream and bidi methods). Middleware may read it. */
  readonly input: unknown;
  /** Request headers / stream metadata, as the gateway received them. */
  readonly metadata: Metadata;
  /** Who called: connection id, remote address, gateway name, push channel. */
  readonly connection: Connection;
  /** Absolute deadline on the `performance.now()` clock (as in @switchyard/stream); Infinity when none. Use `remaining()` for a duration. */
  readonly deadline: number;
  /** Aborted when the caller cancels, the deadline passes, or the edge shuts down. */
  readonly signal: AbortSignal;
  /** Per-request store for middleware and handler (auth principal, trace ids…). */
  readonly store: Map<unknown, unknown>;
  readonly logger: Logger;
  /** Milliseconds left before the deadline (Infinity when none, 0 when passed). */
  remaining(): number;
  /** Push to the caller's connection; UNIMPLEMENTED if its gateway cannot push. */
  push(topic: string, value: unknown): void;
  /** Subscribe the caller's connection to a topic (see `edge.publish`). */
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** Publish to every subscriber on every gateway, and through the cluster to other nodes. */
  publish(topic: string, value: unknown): void;
}
