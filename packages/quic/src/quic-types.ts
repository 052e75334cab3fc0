/**
 * The narrow structural view of @matrixai/quic objects this package relies
 * on. Declared here so the optional peer dependency stays out of the public
 * types and the code states exactly what it needs from the library.
 */
export interface QuicStreamLike {
  readonly streamId: number;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  cancel(reason?: unknown): void;
}

export interface QuicConnectionLike extends EventTarget {
  readonly remoteHost: string;
  readonly remotePort: number;
  readonly closedP: Promise<void>;
  /** Internal quiche connection; `peerStreamsLeftBidi` is how we learn the peer's stream credit. */
  readonly conn?: { peerStreamsLeftBidi?: () => number };
  newStream(type?: 'bidi' | 'uni'): QuicStreamLike;
  stop(options?: { isApp?: boolean; errorCode?: number; force?: boolean }): Promise<void>;
}
