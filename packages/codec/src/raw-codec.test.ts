import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEncodeInto, decodeOrCodecError, expectCodecError } from './fuzz-helpers.js';
import { check } from './property-params.js';
import { rawCodec } from './raw-codec.js';

describe('rawCodec', () => {
  const raw = rawCodec();

  it('has id 0 and name raw', () => {
    expect(raw.id).toBe(0);
    expect(raw.name).toBe('raw');
  });

  it('round-trips any bytes without copying', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const encoded = raw.encode(bytes);
        expect(encoded).toBe(bytes);
        expect(raw.decode(encoded)).toBe(bytes);
        checkEncodeInto(raw, bytes);
      }),
    );
  });

  it('rejects non-bytes with UNSUPPORTED_TYPE', () => {
    for (const value of [
      'abc',
      1,
      null,
      undefined,
      [1, 2],
      new ArrayBuffer(2),
      new Uint16Array(2),
    ]) {
      expectCodecError(() => raw.encode(value as never), 'UNSUPPORTED_TYPE');
    }
    expectCodecError(() => raw.decode('abc' as never), 'UNSUPPORTED_TYPE');
  });

  it('enforces maxSize in both directions', () => {
    const small = rawCodec({ maxSize: 4 });
    expect(small.decode(new Uint8Array(4)).length).toBe(4);
    expectCodecError(() => small.decode(new Uint8Array(5)), 'TOO_LARGE');
    expectCodecError(() => small.encode(new Uint8Array(5)), 'TOO_LARGE');
    expectCodecError(() => small.encodeInto(new Uint8Array(5), new Uint8Array(10), 0), 'TOO_LARGE');
  });

  it('rejects an offset outside the target', () => {
    expectCodecError(
      () => raw.encodeInto(new Uint8Array(1), new Uint8Array(4), 5),
      'INVALID_VALUE',
    );
    expectCodecError(
      () => raw.encodeInto(new Uint8Array(1), new Uint8Array(4), -1),
      'INVALID_VALUE',
    );
    expectCodecError(
      () => raw.encodeInto(new Uint8Array(1), new Uint8Array(4), 1.5),
      'INVALID_VALUE',
    );
  });

  it('never throws anything but CodecError on garbage', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeOrCodecError(raw, bytes)).toBeUndefined();
      }),
    );
  });

  it('rejects bad options', () => {
    expectCodecError(() => rawCodec({ id: 256 }), 'INVALID_CODEC');
    expectCodecError(() => rawCodec({ id: -1 }), 'INVALID_CODEC');
    expectCodecError(() => rawCodec({ name: '' }), 'INVALID_CODEC');
    expectCodecError(() => rawCodec({ maxSize: 0 }), 'INVALID_CODEC');
  });
});
