import type { Conduit, ConduitListener } from '@switchyard/stream';
import { SwitchyardError } from '@switchyard/stream';
import { loadQuic } from './load-quic.js';
import { DEFAULTS, type Pem, positive, type QuicTuning } from './options.js';
import { QuicConduit } from './quic-conduit.js';
import { quietLogger, serverCrypto } from './quic-support.js';
import type { QuicConnectionLike } from './quic-types.js';

export interface ListenQuicOptions extends QuicTuning {
  /** Interface to bind (default 127.0.0.1). */
  host?: string;
  /** UDP port (default 0: any free port; read it from `address.port`). */
  port?: number;
  /** The server's TLS key and certificate chain (PEM). Required: QUIC is always encrypted. */
  tls: { key: Pem; cert: Pem; ca?: Pem; requestClientCert?: boolean };
  /** HMAC key (≥ 16 bytes) for stateless retry tokens; default: random per listener. */
  hmacKey?: Uint8Array;
  /** Open connections at most; more are closed at once (default 10 000). */
  maxConnections?: number;
  /** Connections refused (limit, shutting down). For logs. */
  onReject?: (error: Error) => void;
}

export interface QuicListener extends ConduitListener {
  readonly address: { host: string; port: number };
  /** Connections open right now. */
  readonly connections: number;
  /** Stops accepting. Open connections stay up; the UDP socket closes with the last of them. */
  close(): Promise<void>;
  /** Closes every connection and the UDP socket now. */
  destroy(): Promise<void>;
}

/**
 * Listens for QUIC connections (over @matrixai/quic, loaded on first use) and
 * yields one conduit per connection, mapping calls onto QUIC streams. Feed it
 * to core's `streamGateway`, or use `quicGateway`.
 */
export async function listenQuic(options: ListenQuicOptions): Promise<QuicListener> {
  if (!options?.tls?.key || !options.tls.cert) {
    throw new TypeError('listenQuic(): tls.key and tls.cert (PEM) are required');
  }
  const idleTimeout = positive('idleTimeout', options.idleTimeout, DEFAULTS.idleTimeout);
  const maxStreams = positive('maxStreams', options.maxStreams, DEFAULTS.maxStreams);
  const maxConnections = positive('maxConnections', options.maxConnections, 10_000);
  const conduitOptions = {
    role: 'server' as const,
    maxFrameSize: positive('maxFrameSize', options.maxFrameSize, DEFAULTS.maxFrameSize),
    streamWaitTimeout: positive(
      'streamWaitTimeout',
      options.streamWaitTimeout,
      DEFAULTS.streamWaitTimeout,
    ),
    maxWaitingStreams: positive(
      'maxWaitingStreams',
      options.maxWaitingStreams,
      DEFAULTS.maxWaitingStreams,
    ),
    highWaterMark: positive('highWaterMark', options.highWaterMark, DEFAULTS.highWaterMark),
    streamPerCall: options.streamPerCall !== false,
  };
  const quic = await loadQuic();
  const server = new quic.QUICServer({
    crypto: serverCrypto(options.hmacKey),
    config: {
      key: options.tls.key,
      cert: options.tls.cert,
      ...(options.tls.ca ? { ca: options.tls.ca } : {}),
      verifyPeer: options.tls.requestClientCert === true,
      maxIdleTimeout: idleTimeout,
      initialMaxStreamsBidi: maxStreams,
      initialMaxStreamsUni: 0,
      applicationProtos: options.alpn ?? [...DEFAULTS.alpn],
    },
    logger: quietLogger(options.onLog),
  });
  const conduits = new Set<Conduit>();
  let handler: ((conduit: Conduit) => void) | undefined;
  const backlog: Conduit[] = [];
  let accepting = true;
  let stopped: Promise<void> | undefined;
  const report = (e: Error): void => {
    try {
      options.onReject?.(e);
    } catch {
      // a throwing log hook must not stop the listener
    }
  };
  const stopServer = (): Promise<void> => {
    stopped ??= (server.stop({ isApp: true, errorCode: 0, force: true }) as Promise<void>).catch(
      () => {},
    );
    return stopped;
  };

  server.addEventListener('EventQUICServerConnection', (evt: Event) => {
    const connection = (evt as CustomEvent<QuicConnectionLike>).detail;
    if (!accepting || conduits.size >= maxConnections) {
      report(
        new SwitchyardError(
          accepting ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
          accepting
            ? `quic: connection limit ${maxConnections} reached; refused ${connection.remoteHost}`
            : `quic: listener closed; refused ${connection.remoteHost}`,
        ),
      );
      void connection.stop({ isApp: true, errorCode: 2, force: true }).catch(() => {});
      return;
    }
    const conduit: Conduit = new QuicConduit(connection, {
      ...conduitOptions,
      onClosed: () => {
        conduits.delete(conduit);
        if (!accepting && conduits.size === 0) void stopServer();
      },
    });
    conduits.add(conduit);
    if (handler) handler(conduit);
    else backlog.push(conduit);
  });

  try {
    await server.start({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  } catch (error) {
    throw new SwitchyardError(
      'UNAVAILABLE',
      `listenQuic(): cannot listen on ${options.host ?? '127.0.0.1'}:${options.port ?? 0}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  const address = { host: String(server.host), port: Number(server.port) };

  return {
    address,
    get connections() {
      return conduits.size;
    },
    onConduit(h) {
      handler = h;
      for (const c of backlog.splice(0)) h(c);
    },
    async close() {
      accepting = false;
      if (conduits.size === 0) await stopServer();
    },
    async destroy() {
      accepting = false;
      for (const c of [...conduits])
        c.close(new SwitchyardError('UNAVAILABLE', 'server shut down'));
      await stopServer();
    },
  };
}
