import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fixedLayout } from './fixed-layout.js';
import { checkEncodeInto, decodeOrCodecError, expectCodecError } from './fuzz-helpers.js';
import { check } from './property-params.js';

const makeEverything = (codegen: boolean) =>
  fixedLayout({
    codegen,
    id: 17,
    name: 'everything',
    fields: {
      a: 'u8',
      b: 'i8',
      c: 'u16',
      d: 'i16',
      e: 'u32',
      f: 'i32',
      g: 'f32',
      h: 'f64',
      i: 'u64',
      j: 'i64',
      k: 'bool',
      s: { string: 6 },
      y: { bytes: 3 },
    },
  });

// UTF-8 strings of at most 6 bytes without U+0000.
const shortString = fc
  .string({ unit: 'grapheme', maxLength: 6 })
  .filter((s) => !s.includes('\u0000') && new TextEncoder().encode(s).length <= 6);

const record = fc.record({
  a: fc.integer({ min: 0, max: 255 }),
  b: fc.integer({ min: -128, max: 127 }),
  c: fc.integer({ min: 0, max: 0xffff }),
  d: fc.integer({ min: -0x8000, max: 0x7fff }),
  e: fc.integer({ min: 0, max: 0xffffffff }),
  f: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  g: fc.float({ noNaN: true }),
  h: fc.double(),
  i: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  j: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  k: fc.boolean(),
  s: shortString,
  y: fc.uint8Array({ minLength: 3, maxLength: 3 }),
});

describe.each([true, false])('fixedLayout (codegen %s)', (codegen) => {
  const everything = makeEverything(codegen);

  it('lays fields out back to back, little-endian', () => {
    const tick = fixedLayout({
      codegen,
      id: 16,
      name: 'tick',
      fields: { seq: 'u32', price: 'f64', ok: 'bool', sym: { string: 8 } },
    });
    expect(tick.size).toBe(21);
    expect(tick.maxSize).toBe(21);
    expect(tick.offsets).toEqual({ seq: 0, price: 4, ok: 12, sym: 13 });
    const bytes = tick.encode({ seq: 1, price: 2, ok: true, sym: 'AB' });
    expect(Array.from(bytes.subarray(0, 4))).toEqual([1, 0, 0, 0]);
    expect(bytes[12]).toBe(1);
    expect(Array.from(bytes.subarray(13))).toEqual([65, 66, 0, 0, 0, 0, 0, 0]);
    expect(tick.decode(bytes)).toEqual({ seq: 1, price: 2, ok: true, sym: 'AB' });
  });

  it('round-trips every field type', () => {
    expect(everything.size).toBe(1 + 1 + 2 + 2 + 4 + 4 + 4 + 8 + 8 + 8 + 1 + 6 + 3);
    check(
      fc.property(record, (value) => {
        const decoded = everything.decode(everything.encode(value));
        expect(decoded).toEqual(value);
        expect(Object.is(decoded.h, value.h)).toBe(true);
        checkEncodeInto(everything, value);
      }),
    );
  });

  it('reads and writes at any byteOffset, alternating between buffers', () => {
    const t = fixedLayout({ codegen, id: 24, name: 't', fields: { a: 'u16', b: 'f64', c: 'i8' } });
    const one = new Uint8Array(64);
    const two = new Uint8Array(64);
    for (let i = 0; i < 20; i++) {
      const target = i % 2 === 0 ? one : two;
      const at = (i * 7) % (64 - t.size);
      const value = { a: i * 1000, b: i / 3, c: 5 - i };
      expect(t.encodeInto(value, target, at)).toBe(t.size);
      expect(t.decode(target.subarray(at, at + t.size))).toEqual(value);
      expect(t.decode(target.slice(at, at + t.size))).toEqual(value);
    }
  });

  it('keeps NaN in float fields and rounds f32', () => {
    const f = fixedLayout({ codegen, id: 20, name: 'f', fields: { x: 'f32', y: 'f64' } });
    const decoded = f.decode(f.encode({ x: 0.1, y: Number.NaN }));
    expect(decoded.x).toBe(Math.fround(0.1));
    expect(decoded.y).toBeNaN();
  });

  it('writes into a shared buffer at an offset', () => {
    const target = new Uint8Array(everything.size * 2);
    const first = {
      a: 1,
      b: -1,
      c: 2,
      d: -2,
      e: 3,
      f: -3,
      g: 0.5,
      h: 0.25,
      i: 4n,
      j: -4n,
      k: false,
      s: 'é',
      y: Uint8Array.of(1, 2, 3),
    };
    expect(everything.encodeInto(first, target, everything.size)).toBe(everything.size);
    expect(everything.decode(target.subarray(everything.size))).toEqual(first);
    expect(everything.encodeInto(first, target, everything.size + 1)).toBe(-everything.size);
  });

  it('refuses values that do not fit with INVALID_VALUE', () => {
    const t = fixedLayout({
      codegen,
      id: 21,
      name: 't',
      fields: { n: 'u8', i: 'i16', big: 'u64', ok: 'bool', s: { string: 3 }, b: { bytes: 2 } },
    });
    const good = { n: 1, i: 1, big: 1n, ok: true, s: 'abc', b: Uint8Array.of(1, 2) };
    expect(t.decode(t.encode(good))).toEqual(good);
    const bad: Record<string, unknown>[] = [
      { n: 256 },
      { n: -1 },
      { n: 1.5 },
      { n: '1' },
      { i: 40_000 },
      { big: 1 },
      { big: -1n },
      { big: 1n << 64n },
      { ok: 1 },
      { s: 'abcd' },
      { s: 'éé' },
      { s: 'a\u0000' },
      { s: 3 },
      { b: Uint8Array.of(1) },
      { b: [1, 2] },
      { n: undefined },
    ];
    for (const patch of bad) {
      expectCodecError(() => t.encode({ ...good, ...patch } as never), 'INVALID_VALUE');
    }
    expectCodecError(() => t.encode(null as never), 'UNSUPPORTED_TYPE');
    expectCodecError(() => t.encode(5 as never), 'UNSUPPORTED_TYPE');
  });

  it('classifies bad input', () => {
    const t = fixedLayout({ codegen, id: 22, name: 't', fields: { ok: 'bool', s: { string: 3 } } });
    expectCodecError(() => t.decode(Uint8Array.of(1, 65)), 'TRUNCATED');
    expectCodecError(() => t.decode(Uint8Array.of(1, 65, 0, 0, 9)), 'MALFORMED');
    expectCodecError(() => t.decode(Uint8Array.of(2, 65, 0, 0)), 'MALFORMED'); // bool byte
    expectCodecError(() => t.decode(Uint8Array.of(1, 65, 0, 66)), 'MALFORMED'); // dirty padding
    expectCodecError(() => t.decode(Uint8Array.of(1, 0xff, 0, 0)), 'MALFORMED'); // bad UTF-8
    expectCodecError(() => t.decode('abcd' as never), 'UNSUPPORTED_TYPE');
  });

  it('never throws anything but CodecError on garbage', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: everything.size + 4 }), (bytes) => {
        decodeOrCodecError(everything, bytes);
      }),
      500,
    );
  });

  it('decodes bytes fields into copies', () => {
    const b = fixedLayout({ codegen, id: 23, name: 'b', fields: { y: { bytes: 2 } } });
    const input = Uint8Array.of(1, 2);
    const decoded = b.decode(input);
    input.fill(0);
    expect(Array.from(decoded.y)).toEqual([1, 2]);
  });

  it('rejects bad layouts with INVALID_CODEC', () => {
    expectCodecError(
      () => fixedLayout({ codegen, id: 300, name: 'x', fields: { a: 'u8' } }),
      'INVALID_CODEC',
    );
    expectCodecError(
      () => fixedLayout({ codegen, id: 30, name: 'x', fields: {} }),
      'INVALID_CODEC',
    );
    expectCodecError(
      () => fixedLayout({ codegen, id: 30, name: 'x', fields: { a: 'u128' as never } }),
      'INVALID_CODEC',
    );
    expectCodecError(
      () => fixedLayout({ codegen, id: 30, name: 'x', fields: { a: { string: 0 } } }),
      'INVALID_CODEC',
    );
    expectCodecError(
      () => fixedLayout({ codegen, id: 30, name: 'x', fields: { a: { bytes: 1.5 } } }),
      'INVALID_CODEC',
    );
    expectCodecError(
      () => fixedLayout({ codegen, id: 30, name: 'x', fields: { a: 'toString' as never } }),
      'INVALID_CODEC',
    );
    expectCodecError(
      () => fixedLayout({ codegen, id: 30, name: 'x', fields: JSON.parse('{"__proto__":"u8"}') }),
      'INVALID_CODEC',
    );
  });

  it('keeps odd field names as plain data', () => {
    const odd = fixedLayout({
      codegen,
      id: 31,
      name: 'odd',
      fields: { 'a"b': 'u8', 'c\\n}; throw 1; //': 'u8', constructor: 'u8', '0': 'u8' },
    });
    const value = { 'a"b': 1, 'c\\n}; throw 1; //': 2, constructor: 3, '0': 4 };
    expect(odd.decode(odd.encode(value))).toEqual(value);
  });
});
