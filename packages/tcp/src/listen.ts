import { unlinkSync } from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  type Conduit,
  type ConduitListener,
  type ServedConduit,
  type ServeOptions,
  SwitchyardError,
  serveConduit,
} from '@switchyard/stream';
import { type Address, describeAddress, type TlsOptions } from './address.js';
import { SocketConduit } from './socket-conduit.js';

export interface ListenOptions {
  tls?: TlsOptions;
  /** Open connections at most; more are closed at once and reported to `onReject` (default 10 000). */
  maxConnections?: number;
  /** Close a connection silent in both directions for this many ms (default 120 000; 0 = never). */
  idleTimeout?: number;
  /** Serve every connection with the stream protocol (binary or NDJSON) and these options. */
  serve?: ServeOptions;
  /** Called for each raw conduit when `serve` is not given. */
  onConduit?: (conduit: Conduit) => void;
  /** Connections refused (limit reached, TLS failure, another protocol). For logs. */
  onReject?: (error: Error) => void;
  /** Listen backlog. */
  backlog?: number;
}

export interface TcpListener extends ConduitListener {
  readonly address: { host?: string; port?: number; path?: string };
  /** Connections open right now. */
  readonly connections: number;
  /** Served connections (when `serve` was given). */
  readonly served: ReadonlySet<ServedConduit>;
  /** Stops accepting, sends GOAWAY on every served connection and waits for them to drain. */
  shutdown(): Promise<void>;
  /** Stops accepting; existing connections stay open. */
  close(): Promise<void>;
  /** Closes every open connection at once. */
  destroyConnections(): void;
}

/**
 * Listens on TCP (optionally TLS) or a Unix socket and yields one conduit per
 * connection, or serves each with the stream protocol when `serve` is set.
 */
export async function listen(address: Address, options: ListenOptions = {}): Promise<TcpListener> {
  const maxConnections = options.maxConnections ?? 10_000;
  const idleTimeout = options.idleTimeout ?? 120_000;
  const transport = 'path' in address ? 'unix' : options.tls ? 'tls' : 'tcp';
  const sockets = new Set<net.Socket>();
  const served = new Set<ServedConduit>();
  let handler = options.onConduit;
  const report = (e: Error): void => {
    try {
      options.onReject?.(e);
    } catch {
      // a throwing log hook must not stop the listener
    }
  };

  const onSocket = (socket: net.Socket): void => {
    if (sockets.size >= maxConnections) {
      report(
        new SwitchyardError(
          'RESOURCE_EXHAUSTED',
          `connection limit ${maxConnections} reached; refused ${socket.remoteAddress ?? 'peer'}`,
        ),
      );
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const conduit = new SocketConduit(socket, { transport, idleTimeout });
    if (options.serve) {
      const serveOpts: ServeOptions = {
        ...options.serve,
        onReject: (e) => {
          report(e);
          options.serve?.onReject?.(e);
        },
      };
      const s = serveConduit(conduit, serveOpts);
      served.add(s);
      void s.closed.then(() => served.delete(s));
      return;
    }
    if (handler) handler(conduit);
    else conduit.close(new SwitchyardError('UNAVAILABLE', 'no handler for connections'));
  };

  let server: net.Server;
  if (options.tls) {
    const t = options.tls;
    server = tls.createServer({ ...t, ...(t.requestCert ? { requestCert: true } : {}) }, onSocket);
    server.on('tlsClientError', (error, socket) => {
      report(
        new SwitchyardError('PROTOCOL_ERROR', `TLS handshake failed: ${error.message}`, {
          cause: error,
        }),
      );
      socket.destroy();
    });
  } else {
    server = net.createServer(onSocket);
  }
  server.on('error', (e) => report(e));

  if ('path' in address) {
    try {
      unlinkSync(address.path);
    } catch {
      // nothing to clean up
    }
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error): void =>
      reject(
        new SwitchyardError(
          'UNAVAILABLE',
          `cannot listen on ${describeAddress(address)}: ${e.message}`,
          { cause: e },
        ),
      );
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    if ('path' in address) server.listen({ path: address.path, backlog: options.backlog }, done);
    else
      server.listen(
        { host: address.host ?? '127.0.0.1', port: address.port, backlog: options.backlog },
        done,
      );
  });

  const addr = server.address();
  const where: { host?: string; port?: number; path?: string } =
    typeof addr === 'string' ? { path: addr } : addr ? { host: addr.address, port: addr.port } : {};

  const close = (): Promise<void> =>
    new Promise<void>((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      // server.close() resolves only once every connection ended; we stop accepting now.
      server.close(() => resolve());
      // Do not wait for open connections here: their owners close them.
      setImmediate(resolve);
    });

  return {
    address: where,
    get connections() {
      return sockets.size;
    },
    served,
    onConduit(h) {
      handler = h;
    },
    close,
    async shutdown() {
      await close();
      await Promise.all([...served].map((s) => s.goaway()));
    },
    destroyConnections() {
      for (const s of sockets) s.destroy();
    },
  };
}
