import { type Session, SwitchyardError } from '@switchyard/stream';
import { type ConnectWsOptions, connectWith } from './connect-ws.js';
import type { WebSocketLike } from './socket-conduit.js';

export type { ConnectWsOptions } from './connect-ws.js';
export { ReconnectingSession, type ReconnectOptions } from './reconnecting-session.js';

export type WebSocketConstructor = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

export interface BrowserConnectWsOptions extends ConnectWsOptions {
  /** A WebSocket implementation; default `globalThis.WebSocket`. */
  WebSocket?: WebSocketConstructor;
}

/**
 * Browser client: the native WebSocket, no Node built-ins. Browsers cannot set
 * upgrade headers: pass credentials in the URL query or a cookie.
 */
export function connectWs(url: string, options: BrowserConnectWsOptions = {}): Promise<Session> {
  const {
    WebSocket: Impl = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
    ...rest
  } = options;
  if (Impl === undefined) {
    return Promise.reject(
      new SwitchyardError(
        'FAILED_PRECONDITION',
        'connectWs: no WebSocket implementation in this environment',
      ),
    );
  }
  // @switchyard/stream and @switchyard/codec still use Node's Buffer (as a
  // global, not an import): fail clearly rather than deep inside a frame.
  if ((globalThis as { Buffer?: unknown }).Buffer === undefined) {
    return Promise.reject(
      new SwitchyardError(
        'FAILED_PRECONDITION',
        'connectWs: the stream protocol needs a global Buffer in browsers for now (e.g. globalThis.Buffer from the "buffer" package)',
      ),
    );
  }
  return connectWith((target, protocols) => new Impl(target, protocols), url, rest);
}
