import type { Conduit, ConnectionInfo } from './conduit.js';
import type { WireCodec } from './wire-codec.js';

/**
 * Public types of the multiplexed session. Kept apart from the implementation so
 * gateways (core, ws, quic, raft, cluster) can code against them while the
 * session evolves.
 */

export type CallKind = 'unary' | 'server-stream' | 'client-stream' | 'bidi' | 'notify';

export interface CallOptions {
  /** Milliseconds; defaults to the session's `defaultTimeout` (30 s). 0 or Infinity disables. */
  timeout?: number;
  /** Aborting sends CANCEL to the peer and rejects with CANCELLED. */
  signal?: AbortSignal;
  /** Marks the call safe to retry after a timeout (used by FailoverPool). */
  idempotent?: boolean;
  /** Small string map carried in the REQUEST frame (PROTOCOL.md §6.2). */
  metadata?: Record<string, string>;
}

export interface NotifyOptions {
  metadata?: Record<string, string>;
}

/** What a handler sees for each incoming call, notify or stream. */
export interface IncomingCall {
  readonly method: string;
  readonly kind: CallKind;
  /** Decoded request body; undefined for client-stream and bidi. */
  readonly input: unknown;
  /** Request messages for client-stream and bidi; credit-controlled. */
  readonly inputStream?: AsyncIterable<unknown>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Absolute deadline on the local `performance.now()` clock (Infinity: none). */
  readonly deadline: number;
  /** Fires on CANCEL from the caller, on the deadline, or when the connection is lost. */
  readonly signal: AbortSignal;
  /**
   * The cheap way to watch the same events, where offered (binary sessions):
   * called once, with the reason, when the call is aborted. One hook per call
   * (setting it replaces the previous one); reading `signal` instead creates
   * an AbortController.
   */
  onAbort?: ((reason: Error) => void) | undefined;
  /** The abort reason once aborted, else undefined (present with `onAbort`). */
  readonly abortReason?: Error | undefined;
  readonly session: Session;
}

/**
 * A handler returns the unary result, throws (a SwitchyardError travels as is,
 * anything else becomes INTERNAL), or returns an AsyncIterable whose values are
 * streamed to the caller for server-stream and bidi calls.
 */
export type CallHandler = (
  call: IncomingCall,
) => unknown | Promise<unknown> | AsyncIterable<unknown>;

export interface KeepaliveOptions {
  /** Milliseconds between PINGs when the connection is otherwise quiet. */
  interval: number;
  /** Milliseconds without any frame from the peer after which it is declared dead. */
  timeout: number;
}

export interface SessionOptions {
  /** 'client' sends HELLO first; 'server' answers it. Both may call and serve. */
  role: 'client' | 'server';
  /** Codec for bodies this side sends; defaults to the JSON wire codec (id 2). */
  codec?: WireCodec;
  /** Extra codecs this side can decode (the peer may send with any it chose). */
  codecs?: readonly WireCodec[];
  /** Serves calls from the peer. Without it, every incoming call gets UNIMPLEMENTED. */
  handler?: CallHandler;
  /** Method names this side serves, advertised at HELLO so the peer sends numeric ids. */
  methods?: readonly string[];
  /** Largest frame this side accepts, in bytes (default 4 MiB, min 1 KiB). */
  maxFrameSize?: number;
  /** Calls the peer may have in flight to us, and our own cap (default 1024). */
  window?: number;
  /** Calls waiting for a window slot before `call` fails with RESOURCE_EXHAUSTED (default 4 × window). */
  maxPending?: number;
  /** Handlers running at once; the rest wait in a p-queue bounded by `window` (default 256). */
  maxConcurrentHandlers?: number;
  /** Default call timeout in ms (default 30 000). */
  defaultTimeout?: number;
  /** Messages a stream receiver buffers before the sender must wait for CREDIT (default 64). */
  streamCredit?: number;
  /** Keepalive; defaults to `{ interval: 15000, timeout: 45000 }`. `false` disables. */
  keepalive?: KeepaliveOptions | false;
  /** Pending outgoing bytes at which the session stops reading from the peer (default 8 MiB). */
  maxWriteBuffer?: number;
  /** Called for frames that broke the protocol, before the session closes. For logs. */
  onProtocolError?: (error: Error) => void;
  /** Injected clock (ms, monotonic); default `performance.now`. For deterministic tests. */
  now?: () => number;
  /** Timer wheel tick in ms (default 10). */
  timerResolution?: number;
}

export interface ClientStreamCall<T> {
  /** Resolves once the peer has credit for the message (flow control). */
  send(value: unknown): Promise<void>;
  end(): void;
  readonly result: Promise<T>;
}

export interface BidiCall<T> {
  send(value: unknown): Promise<void>;
  end(): void;
  [Symbol.asyncIterator](): AsyncIterator<T>;
}

export type PushListener = (topic: string, value: unknown) => void;

export interface Session {
  readonly info: ConnectionInfo;
  /** Resolves when HELLO was exchanged; rejects if the connection failed first. */
  readonly ready: Promise<void>;
  /** Resolves when the session is closed (never rejects). */
  readonly closed: Promise<void>;
  /** Calls this side started that still await an answer. */
  readonly inFlight: number;
  /** Whether the session was closed or received/sent GOAWAY (no new calls). */
  readonly draining: boolean;
  readonly isClosed: boolean;
  /** Last measured PING round trip in ms, or undefined before the first PONG. */
  readonly rtt: number | undefined;
  call<T = unknown>(method: string, input?: unknown, options?: CallOptions): Promise<T>;
  notify(method: string, input?: unknown, options?: NotifyOptions): void;
  /** Breaking out of the loop cancels the call on the peer. */
  serverStream<T = unknown>(
    method: string,
    input?: unknown,
    options?: CallOptions,
  ): AsyncIterable<T>;
  clientStream<T = unknown>(method: string, options?: CallOptions): ClientStreamCall<T>;
  bidi<T = unknown>(method: string, options?: CallOptions): BidiCall<T>;
  /** Sends a push in this side's push seq space; false when it could not be queued. */
  push(topic: string, value: unknown): boolean;
  onPush(listener: PushListener): () => void;
  /** Sends PING now; resolves with the round trip in ms. */
  ping(): Promise<number>;
  /** Tells the peer to start no new calls, waits for in-flight calls both ways, then closes. */
  goaway(): Promise<void>;
  /** Closes at once: pending calls fail with UNAVAILABLE (or `error`). */
  close(error?: Error): void;
}

/** Creates a session over a conduit (see session.ts). */
export type CreateSession = (conduit: Conduit, options: SessionOptions) => Session;
