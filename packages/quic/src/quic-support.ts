import { createHmac, randomBytes, timingSafeEqual, webcrypto } from 'node:crypto';

/**
 * Glue for @matrixai/quic's injected dependencies: its logger (which logs
 * every connection and stream at INFO when left at its default) and its
 * crypto callbacks (HMAC for retry tokens on the server, randomness on the
 * client).
 */
export type QuicLogHook = (level: 'warn' | 'error', message: string) => void;

interface MiniLogger {
  getChild(name: string): MiniLogger;
  debug(msg: unknown): void;
  info(msg: unknown): void;
  warn(msg: unknown): void;
  error(msg: unknown): void;
}

/** A logger that drops debug/info and forwards warnings and errors to `hook`, if any. */
export function quietLogger(hook?: QuicLogHook): MiniLogger {
  const send = (level: 'warn' | 'error', msg: unknown): void => {
    try {
      hook?.(level, String(msg));
    } catch {
      // a throwing log hook must not break QUIC internals
    }
  };
  const logger: MiniLogger = {
    getChild: () => logger,
    debug: () => {},
    info: () => {},
    warn: (m) => send('warn', m),
    error: (m) => send('error', m),
  };
  return logger;
}

function toArrayBuffer(b: Buffer): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

/** Server crypto: a per-process (or given) HMAC-SHA256 key signs stateless retry tokens. */
export function serverCrypto(hmacKey?: Uint8Array): {
  key: ArrayBuffer;
  ops: {
    sign(key: ArrayBuffer, data: ArrayBuffer): Promise<ArrayBuffer>;
    verify(key: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer): Promise<boolean>;
  };
} {
  const key = hmacKey ? Buffer.from(hmacKey) : randomBytes(32);
  if (key.length < 16) throw new TypeError('quic: hmacKey must be at least 16 bytes');
  const mac = (k: ArrayBuffer, d: ArrayBuffer): Buffer =>
    createHmac('sha256', Buffer.from(k)).update(Buffer.from(d)).digest();
  return {
    key: toArrayBuffer(key),
    ops: {
      sign: async (k, d) => toArrayBuffer(mac(k, d)),
      verify: async (k, d, sig) => {
        const expected = mac(k, d);
        const given = Buffer.from(sig);
        return given.length === expected.length && timingSafeEqual(given, expected);
      },
    },
  };
}

export function clientCrypto(): { ops: { randomBytes(data: ArrayBuffer): Promise<void> } } {
  return {
    ops: {
      randomBytes: async (data) => {
        webcrypto.getRandomValues(new Uint8Array(data));
      },
    },
  };
}
