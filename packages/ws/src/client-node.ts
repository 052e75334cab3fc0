import type { Session } from '@switchyard/stream';
import WebSocket from 'ws';
import { type ConnectWsOptions, connectWith } from './connect-ws.js';
import type { WebSocketLike } from './socket-conduit.js';

export type { ConnectWsOptions } from './connect-ws.js';
export { ReconnectingSession, type ReconnectOptions } from './reconnecting-session.js';

export interface NodeConnectWsOptions extends ConnectWsOptions {
  /** Extra HTTP headers on the upgrade request (e.g. authorization). Node only. */
  headers?: Record<string, string>;
}

/**
 * Node 20 client (Node 20 has no global WebSocket): the `ws` package under the
 * same conduit the browser build uses.
 */
export function connectWs(url: string, options: NodeConnectWsOptions = {}): Promise<Session> {
  const { headers, ...rest } = options;
  // A server message holds at most one batch of frames plus one large frame.
  const maxPayload = (options.maxFrameSize ?? 4 * 1024 * 1024) * 2 + 1024 * 1024;
  return connectWith(
    (target, protocols) =>
      new WebSocket(target, protocols, {
        perMessageDeflate: false,
        maxPayload,
        ...(headers === undefined ? {} : { headers }),
      }) as unknown as WebSocketLike,
    url,
    rest,
  );
}
