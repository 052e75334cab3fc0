import {
  createSession,
  type Session,
  type SessionOptions,
  SwitchyardError,
} from '@switchyard/stream';
import { loadQuic } from './load-quic.js';
import { DEFAULTS, type Pem, positive, type QuicTuning } from './options.js';
import { QuicConduit } from './quic-conduit.js';
import { clientCrypto, quietLogger } from './quic-support.js';
import type { QuicConnectionLike } from './quic-types.js';

export interface QuicClientTls {
  /** CA certificate(s) that sign the server's certificate (PEM); default: the system store. */
  ca?: Pem | Pem[];
  /** Name checked against the server certificate (default: `host`). Needed when connecting by IP to a certificate issued for a DNS name. */
  serverName?: string;
  /** Verify the server certificate (default true). `false` is for tests only: it accepts any server. */
  verify?: boolean;
  /** Client certificate for servers that request one. */
  key?: Pem;
  cert?: Pem;
}

export interface ConnectQuicOptions extends QuicTuning, Omit<SessionOptions, 'role'> {
  host?: string;
  port: number;
  tls?: QuicClientTls;
  /** Give up connecting after this many ms (default 10 000). */
  connectTimeout?: number;
}

/**
 * Connects over QUIC and starts a client session; resolves once HELLO was
 * exchanged. The session works with core's `createClient` like any other.
 * Fails with UNAVAILABLE (retryable) when the handshake fails, including a
 * server certificate that does not verify.
 */
export async function connectQuic(options: ConnectQuicOptions): Promise<Session> {
  const {
    host = '127.0.0.1',
    port,
    tls,
    connectTimeout,
    idleTimeout,
    maxStreams,
    streamWaitTimeout,
    maxWaitingStreams,
    maxFrameSize,
    highWaterMark,
    alpn,
    onLog,
    streamPerCall,
    ...sessionOptions
  } = options;
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new TypeError(`connectQuic(): port must be 1–65535, got ${String(port)}`);
  }
  const timeout = positive('connectTimeout', connectTimeout, 10_000);
  const quic = await loadQuic();
  const where = `${host}:${port}`;
  // `any` on purpose: QUICClient is typed structurally (see quic-types.ts)
  let client: any;
  try {
    client = await quic.QUICClient.createQUICClient(
      {
        host,
        port,
        ...(tls?.serverName ? { serverName: tls.serverName } : {}),
        crypto: clientCrypto(),
        config: {
          verifyPeer: tls?.verify !== false,
          ...(tls?.ca ? { ca: tls.ca } : {}),
          ...(tls?.key ? { key: tls.key } : {}),
          ...(tls?.cert ? { cert: tls.cert } : {}),
          maxIdleTimeout: positive('idleTimeout', idleTimeout, DEFAULTS.idleTimeout),
          initialMaxStreamsBidi: positive('maxStreams', maxStreams, DEFAULTS.maxStreams),
          initialMaxStreamsUni: 0,
          applicationProtos: alpn ?? [...DEFAULTS.alpn],
        },
        logger: quietLogger(onLog),
      },
      { timer: timeout },
    );
  } catch (error) {
    const name = error instanceof Error ? error.constructor.name : '';
    const why = /TLS/i.test(name)
      ? 'TLS handshake failed (is the server certificate trusted via tls.ca, and does tls.serverName match it?)'
      : error instanceof Error
        ? `${name}: ${error.message}`
        : String(error);
    throw new SwitchyardError('UNAVAILABLE', `cannot connect over QUIC to ${where}: ${why}`, {
      cause: error,
    });
  }
  const conduit = new QuicConduit(client.connection as QuicConnectionLike, {
    role: 'client',
    maxFrameSize: positive('maxFrameSize', maxFrameSize, DEFAULTS.maxFrameSize),
    streamWaitTimeout: positive('streamWaitTimeout', streamWaitTimeout, DEFAULTS.streamWaitTimeout),
    maxWaitingStreams: positive('maxWaitingStreams', maxWaitingStreams, DEFAULTS.maxWaitingStreams),
    highWaterMark: positive('highWaterMark', highWaterMark, DEFAULTS.highWaterMark),
    streamPerCall: streamPerCall !== false,
    onClosed: () => {
      void client.destroy({ isApp: true, errorCode: 0, force: true }).catch(() => {});
    },
  });
  const session = createSession(conduit, { ...sessionOptions, role: 'client' });
  try {
    await session.ready;
  } catch (error) {
    session.close();
    throw error;
  }
  return session;
}
