export type { BinarySessionOptions } from './binary-session.js';
export { connectWs, type NodeConnectWsOptions } from './client-node.js';
export { CloseCode } from './close-codes.js';
export type { ConnectWsOptions } from './connect-ws.js';
export { assertNativeUws, isNativeUws } from './native-check.js';
export {
  ReconnectingSession,
  type ReconnectingSessionOptions,
  type ReconnectOptions,
} from './reconnecting-session.js';
export { SocketConduit, type SocketConduitOptions, type WebSocketLike } from './socket-conduit.js';
export { parseTextRequest, type TextId, type TextRequest } from './text-protocol.js';
export type { AuthHook, AuthResult, UpgradeRequest } from './upgrade-auth.js';
export { UwsConduit, type UwsConduitOptions } from './uws-conduit.js';
export { WsGateway, type WsGatewayOptions, type WsGatewayStats, wsGateway } from './ws-gateway.js';
