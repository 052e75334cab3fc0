import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkEncodeInto, decodeOrCodecError, expectCodecError } from './fuzz-helpers.js';
import { jsonCodec } from './json-codec.js';
import { check } from './property-params.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('jsonCodec', () => {
  const json = jsonCodec();

  it('has id 2 and name json', () => {
    expect(json.id).toBe(2);
    expect(json.name).toBe('json');
  });

  it('round-trips JSON values exactly as JSON.parse(JSON.stringify(v)) would', () => {
    check(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        const decoded = json.decode(json.encode(value));
        expect(decoded).toStrictEqual(JSON.parse(JSON.stringify(value)));
        checkEncodeInto(json, value);
      }),
    );
  });

  it('writes UTF-8 text', () => {
    expect(new TextDecoder().decode(json.encode({ a: 'é😀' }))).toBe('{"a":"é😀"}');
  });

  it('documents the lossy JSON conversions', () => {
    const decoded = json.decode(
      json.encode({
        date: new Date(0),
        nan: Number.NaN,
        inf: Number.POSITIVE_INFINITY,
        undef: undefined,
        map: new Map([[1, 2]]),
        set: new Set([1]),
        bytes: new Uint8Array([7]),
        negZero: -0,
      }),
    );
    expect(decoded).toStrictEqual({
      date: '1970-01-01T00:00:00.000Z',
      nan: null,
      inf: null,
      map: {},
      set: {},
      bytes: { '0': 7 },
      negZero: 0,
    });
  });

  it('refuses what JSON cannot carry with UNSUPPORTED_TYPE', () => {
    expectCodecError(() => json.encode(10n), 'UNSUPPORTED_TYPE');
    expectCodecError(() => json.encode({ deep: [1n] }), 'UNSUPPORTED_TYPE');
    expectCodecError(() => json.encode(undefined), 'UNSUPPORTED_TYPE');
    expectCodecError(() => json.encode(() => 1), 'UNSUPPORTED_TYPE');
    expectCodecError(() => json.encode(Symbol('s')), 'UNSUPPORTED_TYPE');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expectCodecError(() => json.encode(cycle), 'UNSUPPORTED_TYPE');
    expectCodecError(() => json.encodeInto(10n, new Uint8Array(10), 0), 'UNSUPPORTED_TYPE');
  });

  it('classifies bad input', () => {
    expectCodecError(() => json.decode(new Uint8Array(0)), 'TRUNCATED');
    expectCodecError(() => json.decode(utf8('{"a":')), 'TRUNCATED');
    expectCodecError(() => json.decode(utf8('[1,2')), 'TRUNCATED');
    expectCodecError(() => json.decode(utf8('{a:1}')), 'MALFORMED');
    expectCodecError(() => json.decode(utf8('[1]x')), 'MALFORMED');
    expectCodecError(() => json.decode(Uint8Array.of(0x22, 0xff, 0x22)), 'MALFORMED');
    expectCodecError(() => json.decode(Uint8Array.of(0x22, 0xed, 0xa0, 0x80, 0x22)), 'MALFORMED');
  });

  it('keeps __proto__ keys as plain data', () => {
    const decoded = json.decode(utf8('{"__proto__":{"polluted":true}}')) as Record<string, unknown>;
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });

  it('parses very deep nesting without crashing', () => {
    const deep = utf8(`${'['.repeat(100_000)}${']'.repeat(100_000)}`);
    const error = decodeOrCodecError(json, deep);
    expect(error === undefined || error.code === 'MALFORMED').toBe(true);
  });

  it('enforces maxSize before parsing and after encoding', () => {
    const small = jsonCodec({ maxSize: 8 });
    expectCodecError(() => small.decode(utf8('"123456789"')), 'TOO_LARGE');
    expectCodecError(() => small.encode('123456789'), 'TOO_LARGE');
    expectCodecError(() => small.encode('ééééé'), 'TOO_LARGE'); // 5 chars, 12 bytes
    expectCodecError(() => small.encodeInto('ééééé', new Uint8Array(64), 0), 'TOO_LARGE');
    expect(small.decode(small.encode('123456'))).toBe('123456');
  });

  it('signals a too-small target with a sufficient size', () => {
    const target = new Uint8Array(4);
    const result = json.encodeInto({ a: 'ééé' }, target, 0);
    expect(result).toBeLessThan(0);
    expect(json.encodeInto({ a: 'ééé' }, new Uint8Array(-result), 0)).toBe(
      json.encode({ a: 'ééé' }).length,
    );
  });

  it('never throws anything but CodecError on garbage or truncations', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        decodeOrCodecError(json, bytes);
      }),
    );
    check(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.nat(), (value, cut) => {
        const bytes = json.encode(value);
        decodeOrCodecError(json, bytes.subarray(0, cut % (bytes.length + 1)));
      }),
    );
  });
});
