import {
  type Codec,
  checkCodecIdentity,
  checkDecodeInput,
  checkEncodedSize,
  checkMaxSize,
  checkTarget,
} from './codec.js';
import { CodecError } from './codec-error.js';

export interface JsonCodecOptions {
  id?: number;
  name?: string;
  maxSize?: number;
}

// One of each per process: both are stateless. `fatal` makes invalid UTF-8 an
// error instead of silently turning it into U+FFFD.
const encoder = new TextEncoder();
// Node's Buffer.from(string) is markedly faster than TextEncoder.encode for
// small strings (pooled allocation); other runtimes use TextEncoder.
const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'utf8'): Uint8Array } })
  .Buffer;
const utf8Encode = NodeBuffer
  ? (text: string): Uint8Array => NodeBuffer.from(text, 'utf8')
  : (text: string): Uint8Array => encoder.encode(text);
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * JSON text as UTF-8 bytes: for text protocols, browsers and debugging.
 * Plain JSON semantics (Date → ISO string, NaN → null, Map/Set → {}), except
 * that values JSON cannot represent at all raise CodecError instead of a
 * TypeError or a silent `undefined`: BigInt, cycles, and a top-level
 * undefined, function or symbol.
 */
export function jsonCodec(options: JsonCodecOptions = {}): Codec<unknown> {
  const id = options.id ?? 2;
  const name = options.name ?? 'json';
  checkCodecIdentity(id, name);
  const maxSize = checkMaxSize(options.maxSize);

  const stringify = (value: unknown): string => {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw new CodecError('UNSUPPORTED_TYPE', `cannot encode as JSON: ${message}`, {
        codec: name,
        cause,
      });
    }
    if (text === undefined) {
      throw new CodecError('UNSUPPORTED_TYPE', `JSON cannot carry a top-level ${typeof value}`, {
        codec: name,
      });
    }
    // A UTF-16 unit never needs more than 3 UTF-8 bytes, so this is a cheap
    // early rejection that avoids encoding a string that is clearly too big.
    if (text.length > maxSize) checkEncodedSize(text.length, maxSize, name);
    return text;
  };

  return {
    id,
    name,
    maxSize,
    encode(value) {
      const bytes = utf8Encode(stringify(value));
      checkEncodedSize(bytes.length, maxSize, name);
      return bytes;
    },
    encodeInto(value, target, offset) {
      const text = stringify(value);
      checkTarget(target, offset, name);
      const room = target.length - offset;
      const worstCase = text.length * 3;
      if (room < text.length) return -Math.min(worstCase, Math.max(maxSize, text.length));
      const result = encoder.encodeInto(text, target.subarray(offset));
      if (result.read < text.length) return -Math.min(worstCase, Math.max(maxSize, text.length));
      checkEncodedSize(result.written, maxSize, name);
      return result.written;
    },
    decode(bytes) {
      checkDecodeInput(bytes, maxSize, name);
      if (bytes.length === 0) throw new CodecError('TRUNCATED', 'empty input', { codec: name });
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch (cause) {
        throw new CodecError('MALFORMED', 'input is not valid UTF-8', { codec: name, cause });
      }
      try {
        return JSON.parse(text);
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        // V8 reports where parsing stopped; stopping at the very end means the
        // text was cut short rather than wrong.
        const at = /position (\d+)/.exec(message);
        const truncated =
          /end of (JSON )?input/i.test(message) || (at !== null && Number(at[1]) >= text.length);
        throw new CodecError(truncated ? 'TRUNCATED' : 'MALFORMED', `invalid JSON: ${message}`, {
          codec: name,
          cause,
        });
      }
    },
  };
}
