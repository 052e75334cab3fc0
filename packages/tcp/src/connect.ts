import * as net from 'node:net';
import * as tls from 'node:tls';
import {
  type Conduit,
  createSession,
  type Session,
  type SessionOptions,
  SwitchyardError,
} from '@switchyard/stream';
import { type Address, describeAddress, type TlsOptions } from './address.js';
import { SocketConduit } from './socket-conduit.js';

export interface ConnectOptions {
  tls?: TlsOptions;
  /** Give up connecting after this many ms (default 10 000). */
  connectTimeout?: number;
  /** Close after this many ms of silence (default 0: the session's keepalive handles liveness). */
  idleTimeout?: number;
  signal?: AbortSignal;
}

/** Opens one conduit over TCP, TLS or a Unix socket. Rejects with UNAVAILABLE (retryable) on failure. */
export function connect(address: Address, options: ConnectOptions = {}): Promise<Conduit> {
  const transport = 'path' in address ? 'unix' : options.tls ? 'tls' : 'tcp';
  const where = describeAddress(address);
  return new Promise<Conduit>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new SwitchyardError('CANCELLED', `connect to ${where} aborted`));
      return;
    }
    let socket: net.Socket;
    const readyEvent = options.tls ? 'secureConnect' : 'connect';
    if (options.tls) {
      const t = options.tls;
      const host = 'path' in address ? undefined : (address.host ?? '127.0.0.1');
      socket = tls.connect({
        ...t,
        ...('path' in address ? { path: address.path } : { host, port: address.port }),
        ...(t.servername
          ? { servername: t.servername }
          : host && net.isIP(host) === 0
            ? { servername: host }
            : {}),
      });
    } else if ('path' in address) {
      socket = net.connect({ path: address.path });
    } else {
      socket = net.connect({ host: address.host ?? '127.0.0.1', port: address.port });
    }
    const timer = setTimeout(
      () => fail(new Error(`timed out after ${options.connectTimeout ?? 10_000} ms`)),
      options.connectTimeout ?? 10_000,
    );
    const onAbort = (): void => fail(new Error('aborted'));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('error', fail);
      socket.off(readyEvent, ok);
    };
    function fail(e: Error): void {
      cleanup();
      socket.destroy();
      reject(
        new SwitchyardError('UNAVAILABLE', `cannot connect to ${where}: ${e.message}`, {
          cause: e,
        }),
      );
    }
    function ok(): void {
      cleanup();
      resolve(
        new SocketConduit(socket, {
          transport,
          ...(options.idleTimeout ? { idleTimeout: options.idleTimeout } : {}),
        }),
      );
    }
    socket.once('error', fail);
    socket.once(readyEvent, ok);
  });
}

export interface ConnectSessionOptions extends ConnectOptions, Omit<SessionOptions, 'role'> {
  role?: 'client' | 'server';
}

/** Connects and starts a client session; resolves once HELLO was exchanged. */
export async function connectSession(
  address: Address,
  options: ConnectSessionOptions = {},
): Promise<Session> {
  const { tls: t, connectTimeout, idleTimeout, signal, role, ...sessionOptions } = options;
  const conduit = await connect(address, {
    ...(t ? { tls: t } : {}),
    ...(connectTimeout !== undefined ? { connectTimeout } : {}),
    ...(idleTimeout !== undefined ? { idleTimeout } : {}),
    ...(signal ? { signal } : {}),
  });
  const session = createSession(conduit, { ...sessionOptions, role: role ?? 'client' });
  await session.ready;
  return session;
}
