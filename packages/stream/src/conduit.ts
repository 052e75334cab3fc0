/**
 * A conduit is one bidirectional byte pipe: a TCP socket, a WebSocket, a QUIC
 * stream set, or an in-memory pair. Transports only yield conduits; the stream
 * session turns a conduit into calls. Kept callback-based: this sits on the hot
 * path, where a promise or closure per chunk is measurable.
 */
export interface ConnectionInfo {
  /** Unique within the process. */
  readonly id: string;
  /** e.g. 'tcp', 'tls', 'unix', 'ws', 'quic', 'memory'. */
  readonly transport: string;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
}

export interface ConduitEvents {
  /** A chunk of bytes; the conduit may reuse the memory after the call returns. */
  data(chunk: Uint8Array): void;
  /** The conduit can accept writes again after `write()` returned false. */
  drain(): void;
  /** The conduit closed; `error` is set when it did not close cleanly. Fired once. */
  close(error?: Error): void;
}

export interface Conduit {
  readonly info: ConnectionInfo;
  /** Queues bytes; returns false when the caller should wait for `drain`. */
  write(chunk: Uint8Array): boolean;
  /** Sets the event handlers; called once, before any data is delivered. */
  attach(events: ConduitEvents): void;
  /** Stop / resume delivering `data` (read-side backpressure). */
  pause(): void;
  resume(): void;
  /** Flush what is queued, then close. With an error: close at once. */
  close(error?: Error): void;
  readonly closed: boolean;
  /**
   * True when chunks given to `data` are never reused by the conduit (e.g.
   * node:net sockets, which allocate a fresh Buffer per read). The session may
   * then hand out views into them instead of copies (zero-copy raw values).
   */
  readonly stableChunks?: boolean;
}

/** A listening transport: yields one conduit per accepted connection. */
export interface ConduitListener {
  onConduit(handler: (conduit: Conduit) => void): void;
  /** Where it listens, for logs and for clients in tests. */
  readonly address: { host?: string; port?: number; path?: string };
  /** Stops accepting; existing conduits stay open. */
  close(): Promise<void>;
}
