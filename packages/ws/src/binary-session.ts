import {
  type DispatchRequest,
  type GatewayHost,
  LinkedCallSignal,
  type Metadata,
  type MethodEntry,
} from '@switchyard/core';
import {
  type CallHandler,
  createSession,
  type IncomingCall,
  type Session,
  type SessionOptions,
  SwitchyardError,
} from '@switchyard/stream';
import type { UwsConduit } from './uws-conduit.js';
import type { WsPeer } from './ws-peer.js';

/** Session options the gateway passes through (role, handler and methods are its own). */
export type BinarySessionOptions = Omit<SessionOptions, 'role' | 'handler' | 'methods'>;

function mergeMetadata(
  client: Readonly<Record<string, string>>,
  server: Metadata | undefined,
): Metadata {
  if (server === undefined) return client;
  return { ...client, ...server };
}

/**
 * Bridges the stream session's incoming calls to the edge, the way core's
 * stream gateway does (kept in step with it: a notify may target a unary
 * method, and typed clients open every input stream as bidi). Both sides use
 * the `performance.now()` clock for deadlines, so the deadline passes as is.
 */
export function createBridgeHandler(
  host: GatewayHost,
  peer: WsPeer,
  entries: ReadonlyMap<string, MethodEntry>,
): CallHandler {
  return (call: IncomingCall) => {
    const entry = entries.get(call.method) ?? host.lookup(call.method);
    if (entry === undefined) {
      throw new SwitchyardError('NOT_FOUND', `unknown method ${JSON.stringify(call.method)}`);
    }
    // Built field by field: object spreads cost measurably on this per-call path.
    const request: DispatchRequest = {
      method: entry,
      input: call.input,
      metadata: mergeMetadata(call.metadata, peer.authMetadata),
      connection: peer,
      // Not call.signal: reading it allocates an AbortController per call (see core's call-signal.ts).
      signal: new LinkedCallSignal(call).asAbortSignal(),
    };
    if (call.inputStream !== undefined) request.inputStream = call.inputStream;
    if (call.deadline !== Number.POSITIVE_INFINITY) request.deadline = call.deadline;
    const kind = call.kind;
    // A synchronous handler's reply is then queued in this very uWS callback,
    // with no promise per call; the session sends the replies of the turn as one message.
    if (kind === entry.kind)
      return host.dispatchNow ? host.dispatchNow(request) : host.dispatch(request);
    if (kind === 'notify' && entry.kind === 'unary') {
      host.dispatch(request).catch(() => {});
      return undefined;
    }
    if (kind === 'bidi' && entry.kind === 'client-stream')
      return singleItem(host.dispatch(request));
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      `${entry.name} is a ${entry.kind} method, called as ${kind}`,
    );
  };
}

async function* singleItem(result: Promise<unknown>): AsyncIterable<unknown> {
  yield await result;
}

/** Starts the server side of the stream protocol on a WebSocket conduit. */
export function startBinarySession(
  host: GatewayHost,
  peer: WsPeer,
  conduit: UwsConduit,
  entries: ReadonlyMap<string, MethodEntry>,
  methods: readonly string[],
  options: BinarySessionOptions,
): Session {
  const userHook = options.onProtocolError;
  return createSession(conduit, {
    ...options,
    onProtocolError: (error) => {
      conduit.setCloseReason(error);
      userHook?.(error);
    },
    role: 'server',
    methods,
    handler: createBridgeHandler(host, peer, entries),
  });
}
