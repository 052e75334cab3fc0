export type { Address, TlsOptions } from './address.js';
export {
  type ConnectOptions,
  type ConnectSessionOptions,
  connect,
  connectSession,
} from './connect.js';
export { type ListenOptions, listen, type TcpListener } from './listen.js';
export { createClientPool, createFailoverPool } from './pools.js';
export { SocketConduit, type SocketConduitOptions } from './socket-conduit.js';
