import {
  type Gateway,
  type GatewayHost,
  type MethodEntry,
  type StreamGateway,
  type StreamGatewayOptions,
  streamGateway,
} from '@switchyard/core';
import { type ListenQuicOptions, listenQuic, type QuicListener } from './listen-quic.js';

export interface QuicGatewayOptions extends ListenQuicOptions, Omit<StreamGatewayOptions, 'name'> {
  /** Gateway name, unique per edge (default 'quic'). */
  name?: string;
}

export interface QuicGateway extends Gateway {
  /** Where it listens; set once started. */
  readonly address: { host: string; port: number } | undefined;
  /** Open connections. */
  readonly size: number;
}

/**
 * A core Gateway serving the edge over QUIC: core's generic stream gateway on
 * a QUIC listener. The UDP socket is bound in `start()`, so @matrixai/quic is
 * only loaded when the gateway actually starts.
 */
export function quicGateway(options: QuicGatewayOptions): QuicGateway {
  if (!options?.tls?.key || !options.tls.cert) {
    throw new TypeError('quicGateway(): tls.key and tls.cert (PEM) are required');
  }
  return new QuicGatewayImpl(options);
}

class QuicGatewayImpl implements QuicGateway {
  readonly name: string;
  private methods: readonly MethodEntry[] = [];
  private listener: QuicListener | undefined;
  private inner: StreamGateway | undefined;

  constructor(private readonly options: QuicGatewayOptions) {
    this.name = options.name ?? 'quic';
  }

  get address(): { host: string; port: number } | undefined {
    return this.listener?.address;
  }

  get size(): number {
    return this.inner?.size ?? 0;
  }

  register(methods: readonly MethodEntry[]): void {
    this.methods = methods;
  }

  async start(host: GatewayHost): Promise<void> {
    const {
      name: _name,
      host: bindHost,
      port,
      tls,
      hmacKey,
      maxConnections,
      onReject,
      idleTimeout,
      maxStreams,
      streamWaitTimeout,
      maxWaitingStreams,
      maxFrameSize,
      highWaterMark,
      alpn,
      onLog,
      streamPerCall,
      ...serve
    } = this.options;
    const listenOptions: ListenQuicOptions = {
      tls,
      ...(bindHost !== undefined ? { host: bindHost } : {}),
      ...(port !== undefined ? { port } : {}),
      ...(hmacKey !== undefined ? { hmacKey } : {}),
      ...(maxConnections !== undefined ? { maxConnections } : {}),
      ...(onReject !== undefined ? { onReject } : {}),
      ...(idleTimeout !== undefined ? { idleTimeout } : {}),
      ...(maxStreams !== undefined ? { maxStreams } : {}),
      ...(streamWaitTimeout !== undefined ? { streamWaitTimeout } : {}),
      ...(maxWaitingStreams !== undefined ? { maxWaitingStreams } : {}),
      ...(maxFrameSize !== undefined ? { maxFrameSize } : {}),
      ...(highWaterMark !== undefined ? { highWaterMark } : {}),
      ...(alpn !== undefined ? { alpn } : {}),
      ...(onLog !== undefined ? { onLog } : {}),
      ...(streamPerCall !== undefined ? { streamPerCall } : {}),
    };
    this.listener = await listenQuic(listenOptions);
    // onReject reports both refused connections (listener) and refused first bytes (serve).
    this.inner = streamGateway(this.listener, {
      ...serve,
      ...(onReject !== undefined ? { onReject } : {}),
      // One limit for both layers: the session's advertised frame size and the per-stream buffer.
      ...(maxFrameSize !== undefined ? { maxFrameSize } : {}),
      name: this.name,
    });
    this.inner.register(this.methods);
    await this.inner.start(host);
  }

  async drain(): Promise<void> {
    await this.inner?.drain?.();
  }

  async stop(options: { readonly timeout: number }): Promise<void> {
    try {
      await this.inner?.stop(options);
    } finally {
      await this.listener?.destroy();
    }
  }

  publish(topic: string, value: unknown): void {
    this.inner?.publish?.(topic, value);
  }
}
