import type { Session, SessionOptions } from './session-types.js';

export interface ServeOptions extends Omit<SessionOptions, 'role'> {
  /** Longest NDJSON line accepted in text mode, in bytes (default 1 MiB). */
  maxLineLength?: number;
  /** Called once the binary session exists (not in text mode). */
  onSession?: (session: Session) => void;
  /** Called when the first bytes are neither protocol: for logs. The conduit is closed. */
  onReject?: (error: Error) => void;
}

export type ServeMode = 'pending' | 'binary' | 'text' | 'rejected';

/** One served connection: binary session or NDJSON text mode, decided by the first byte. */
export interface ServedConduit {
  readonly mode: ServeMode;
  /** The binary session once detected. */
  readonly session: Session | undefined;
  /** Resolves when the connection is closed, whatever the mode. */
  readonly closed: Promise<void>;
  /** Drains: finishes in-flight calls, refuses new ones, then closes. */
  goaway(): Promise<void>;
  close(error?: Error): void;
}
