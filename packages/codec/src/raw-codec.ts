import {
  type Codec,
  checkCodecIdentity,
  checkDecodeInput,
  checkEncodedSize,
  checkMaxSize,
  checkTarget,
} from './codec.js';
import { CodecError } from './codec-error.js';

export interface RawCodecOptions {
  id?: number;
  name?: string;
  maxSize?: number;
}

/**
 * Bytes in, the same bytes out. Neither direction copies: `encode` returns the
 * value itself and `decode` returns the input view, so a caller that reuses its
 * read buffer must copy what it keeps.
 */
export function rawCodec(options: RawCodecOptions = {}): Codec<Uint8Array> {
  const id = options.id ?? 0;
  const name = options.name ?? 'raw';
  checkCodecIdentity(id, name);
  const maxSize = checkMaxSize(options.maxSize);

  const checkValue = (value: unknown): Uint8Array => {
    if (!(value instanceof Uint8Array)) {
      throw new CodecError('UNSUPPORTED_TYPE', 'the raw codec carries only Uint8Array values', {
        codec: name,
      });
    }
    checkEncodedSize(value.length, maxSize, name);
    return value;
  };

  return {
    id,
    name,
    maxSize,
    encode(value) {
      return checkValue(value);
    },
    encodeInto(value, target, offset) {
      const bytes = checkValue(value);
      checkTarget(target, offset, name);
      if (target.length - offset < bytes.length) return -bytes.length;
      target.set(bytes, offset);
      return bytes.length;
    },
    decode(bytes) {
      checkDecodeInput(bytes, maxSize, name);
      return bytes;
    },
  };
}
