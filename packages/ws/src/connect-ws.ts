import {
  createSession,
  type Session,
  type SessionOptions,
  SwitchyardError,
} from '@switchyard/stream';
import { ReconnectingSession, type ReconnectOptions } from './reconnecting-session.js';
import { SocketConduit, type WebSocketLike } from './socket-conduit.js';

export interface ConnectWsOptions extends Omit<SessionOptions, 'role'> {
  /** Sec-WebSocket-Protocol values to offer. */
  protocols?: string | string[];
  /** Longest wait for the socket to open and HELLO to complete, ms (default 10 000). */
  connectTimeout?: number;
  /**
   * Reconnect after a lost connection (default on). The first connection is
   * not retried: `connectWs` rejects if it fails, so a wrong URL shows at once.
   */
  reconnect?: boolean | ReconnectOptions;
  /** Calls waiting for a reconnection; more fail with RESOURCE_EXHAUSTED (default 1024). */
  maxWaiting?: number;
  /** write() reports backpressure above this many buffered bytes (default 1 MiB). */
  highWaterMark?: number;
  /** Runs for every new connection, the first included: subscribe again here. */
  onConnect?: (session: Session) => void;
  /** For logs: a reconnection attempt failed. */
  onReconnectError?: (error: Error, attempt: number, delay: number) => void;
}

/** Builds a socket for `url`: `new WebSocket(url, protocols)` of some implementation. */
export type SocketFactory = (
  url: string,
  protocols: string | string[] | undefined,
) => WebSocketLike;

function validateUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new SwitchyardError('INVALID_ARGUMENT', `connectWs: not a URL: ${url}`);
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `connectWs: URL must start with ws:// or wss://, got ${url}`,
    );
  }
}

/** Opens one socket and one client session on it; resolves once HELLO is done. */
function openSession(
  factory: SocketFactory,
  url: string,
  options: ConnectWsOptions,
): Promise<Session> {
  const timeoutMs = options.connectTimeout ?? 10_000;
  return new Promise<Session>((resolve, reject) => {
    let socket: WebSocketLike;
    try {
      socket = factory(url, options.protocols);
    } catch (error) {
      reject(new SwitchyardError('UNAVAILABLE', `cannot connect to ${url}`, { cause: error }));
      return;
    }
    let settled = false;
    let session: Session | undefined;
    const fail = (error: SwitchyardError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (session !== undefined) session.close(error);
      else socket.close();
      reject(error);
    };
    const timer = setTimeout(
      () =>
        fail(
          new SwitchyardError(
            'UNAVAILABLE',
            `connecting to ${url} timed out after ${timeoutMs} ms`,
          ),
        ),
      timeoutMs,
    );
    socket.onerror = () => {
      // The close event that follows carries the code; nothing to add here.
    };
    socket.onclose = (event) =>
      fail(
        new SwitchyardError(
          event.code === 1008 ? 'PERMISSION_DENIED' : 'UNAVAILABLE',
          `cannot connect to ${url} (close ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
        ),
      );
    socket.onopen = () => {
      if (settled) return;
      const conduit = new SocketConduit(
        socket,
        url,
        options.highWaterMark === undefined ? {} : { highWaterMark: options.highWaterMark },
      );
      const {
        protocols: _p,
        connectTimeout: _t,
        reconnect: _r,
        maxWaiting: _w,
        highWaterMark: _h,
        onConnect: _c,
        onReconnectError: _e,
        ...sessionOptions
      } = options;
      session = createSession(conduit, { ...sessionOptions, role: 'client' });
      session.ready.then(
        () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(session!);
        },
        (error: unknown) =>
          fail(
            error instanceof SwitchyardError
              ? error
              : new SwitchyardError('UNAVAILABLE', `handshake with ${url} failed`, {
                  cause: error,
                }),
          ),
      );
    };
  });
}

/**
 * Connects to a Switchyard WebSocket gateway in binary mode and returns a
 * stream Session (use it with core's `createClient`). With `reconnect` (the
 * default) the session outlives lost connections.
 */
export async function connectWith(
  factory: SocketFactory,
  url: string,
  options: ConnectWsOptions = {},
): Promise<Session> {
  validateUrl(url);
  const first = await openSession(factory, url, options);
  const reconnect = options.reconnect ?? true;
  if (reconnect === false) {
    try {
      options.onConnect?.(first);
    } catch {
      // The hook is the user's; the connection is fine.
    }
    return first;
  }
  return new ReconnectingSession(first, () => openSession(factory, url, options), {
    ...(reconnect === true ? {} : reconnect),
    ...(options.maxWaiting === undefined ? {} : { maxWaiting: options.maxWaiting }),
    ...(options.defaultTimeout === undefined ? {} : { defaultTimeout: options.defaultTimeout }),
    ...(options.onConnect === undefined ? {} : { onConnect: options.onConnect }),
    ...(options.onReconnectError === undefined
      ? {}
      : { onReconnectError: options.onReconnectError }),
  });
}
