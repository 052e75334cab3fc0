import type { Conduit, ConduitEvents, ConnectionInfo } from './conduit.js';
import { SwitchyardError } from './error.js';
import { MAGIC_BYTE0 } from './frame.js';
import type { ServedConduit, ServeMode, ServeOptions } from './serve-types.js';
import { createSession } from './session.js';
import type { Session } from './session-types.js';
import { TextSession } from './text-session.js';

/** Lets the session attach after serveConduit has already seen the first chunk. */
class ForwardingConduit implements Conduit {
  events: ConduitEvents | undefined;
  constructor(private readonly inner: Conduit) {}
  get info(): ConnectionInfo {
    return this.inner.info;
  }
  get closed(): boolean {
    return this.inner.closed;
  }
  get stableChunks(): boolean {
    return this.inner.stableChunks === true;
  }
  write(chunk: Uint8Array): boolean {
    return this.inner.write(chunk);
  }
  attach(events: ConduitEvents): void {
    this.events = events;
  }
  pause(): void {
    this.inner.pause();
  }
  resume(): void {
    this.inner.resume();
  }
  close(error?: Error): void {
    this.inner.close(error);
  }
}

function isTextStart(b: number): boolean {
  // '{' or JSON whitespace: an NDJSON request line (§12).
  return b === 0x7b || b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function isHttpStart(chunk: Uint8Array): boolean {
  const head = Buffer.from(chunk.buffer, chunk.byteOffset, Math.min(chunk.byteLength, 8)).toString(
    'latin1',
  );
  return (
    /^(GET|POST|PUT|HEAD|DELETE|OPTIONS|PATCH|CONNECT|TRACE|PRI) /.test(head) ||
    /^[A-Z]{3,7}$/.test(head)
  );
}

function describeByte(b: number): string {
  const hex = `0x${b.toString(16).padStart(2, '0')}`;
  return b >= 0x20 && b < 0x7f ? `${hex} ('${String.fromCharCode(b)}')` : hex;
}

const HTTP_REJECT = Buffer.from(
  'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 76\r\n\r\n' +
    'This port speaks the Switchyard stream protocol (binary or NDJSON), not HTTP',
  'latin1',
);

/**
 * Serves one accepted conduit (PROTOCOL.md §12): the first byte decides the
 * mode — 0xF5 starts the binary protocol, '{' or whitespace NDJSON text mode —
 * and anything else is rejected at once with a clear error, having buffered
 * nothing.
 */
export function serveConduit(conduit: Conduit, options: ServeOptions): ServedConduit {
  const { maxLineLength, onSession, onReject, ...sessionOptions } = options;
  let mode: ServeMode = 'pending';
  let session: Session | undefined;
  let text: TextSession | undefined;
  let forward: ForwardingConduit | undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((r) => {
    resolveClosed = r;
  });

  const reject = (error: SwitchyardError, reply?: Uint8Array): void => {
    mode = 'rejected';
    try {
      onReject?.(error);
    } catch {
      // logging hooks must not break the reject path
    }
    if (reply) {
      conduit.write(reply);
      conduit.close();
    } else {
      conduit.close(error);
    }
  };

  conduit.attach({
    data(chunk) {
      if (forward) {
        forward.events?.data(chunk);
        return;
      }
      if (text) {
        text.onData(chunk);
        return;
      }
      if (mode === 'rejected' || chunk.length === 0) return;
      const b0 = chunk[0]!;
      if (b0 === MAGIC_BYTE0) {
        mode = 'binary';
        forward = new ForwardingConduit(conduit);
        session = createSession(forward, { ...sessionOptions, role: 'server' });
        void session.closed.then(resolveClosed);
        try {
          onSession?.(session);
        } catch {
          // a throwing hook must not kill the connection
        }
        forward.events?.data(chunk);
        return;
      }
      if (isTextStart(b0)) {
        mode = 'text';
        text = new TextSession(conduit, {
          handler: sessionOptions.handler,
          methods: sessionOptions.methods,
          maxLineLength,
          window: sessionOptions.window,
          defaultTimeout: sessionOptions.defaultTimeout,
          maxWriteBuffer: sessionOptions.maxWriteBuffer,
          now: sessionOptions.now,
        });
        void text.closed.then(resolveClosed);
        text.onData(chunk);
        return;
      }
      const from = conduit.info.remoteAddress ? ` from ${conduit.info.remoteAddress}` : '';
      if (isHttpStart(chunk)) {
        reject(
          new SwitchyardError(
            'PROTOCOL_ERROR',
            `rejected an HTTP request${from}: this port speaks the Switchyard stream protocol`,
          ),
          HTTP_REJECT,
        );
        return;
      }
      reject(
        new SwitchyardError(
          'PROTOCOL_ERROR',
          `rejected connection${from}: first byte ${describeByte(b0)} is neither the Switchyard magic (0xf5) nor NDJSON`,
        ),
      );
    },
    drain() {
      if (forward) forward.events?.drain();
      else text?.onDrain();
    },
    close(error) {
      if (forward) forward.events?.close(error);
      else if (text) text.onClose();
      resolveClosed();
    },
  });

  return {
    get mode() {
      return mode;
    },
    get session() {
      return session;
    },
    closed,
    goaway() {
      if (session) return session.goaway();
      if (text) return text.goaway();
      conduit.close();
      return closed;
    },
    close(error) {
      if (session) session.close(error);
      else if (text) text.close(error);
      else conduit.close(error);
    },
  };
}
