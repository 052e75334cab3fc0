export { type ConnectQuicOptions, connectQuic, type QuicClientTls } from './connect-quic.js';
export { type ListenQuicOptions, listenQuic, type QuicListener } from './listen-quic.js';
export { loadQuic, type QuicImporter } from './load-quic.js';
export type { Pem, QuicTuning } from './options.js';
export { QuicConduit, type QuicConduitOptions } from './quic-conduit.js';
export { type QuicGateway, type QuicGatewayOptions, quicGateway } from './quic-gateway.js';
export type { QuicLogHook } from './quic-support.js';
export type { QuicConnectionLike, QuicStreamLike } from './quic-types.js';
