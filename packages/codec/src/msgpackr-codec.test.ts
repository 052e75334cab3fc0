import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CodecError } from './codec-error.js';
import { checkEncodeInto, decodeOrCodecError, expectCodecError } from './fuzz-helpers.js';
import { msgpackrCodec } from './msgpackr-codec.js';
import { check, wellFormedString } from './property-params.js';

const hex = (text: string) => Uint8Array.from(text.split(' ').map((h) => Number.parseInt(h, 16)));

// Values msgpackr carries losslessly with our settings. -0 is left out on
// purpose: msgpackr writes it as the integer 0 (documented in the README).
const key = wellFormedString(8).filter((k) => k !== '__proto__');
const leaf = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.boolean(),
  fc.integer(),
  fc.double().filter((d) => !Object.is(d, -0)),
  fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n }),
  wellFormedString(),
  fc.date({ noInvalidDate: true }),
  fc.uint8Array({ maxLength: 16 }),
  fc.float64Array({ maxLength: 4 }).map((a) => a.filter((d) => !Number.isNaN(d))),
  fc.int32Array({ maxLength: 4 }),
);
const { value: msgpackValue } = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 5 }),
  object: fc.dictionary(key, tie('value'), { maxKeys: 5 }),
}));

const envelope = {
  id: 12345,
  method: 'user.get',
  params: { user: 'alice', n: 42, flags: true, tags: ['a', 'b'] },
};
const structures = [
  ['id', 'method', 'params'],
  ['user', 'n', 'flags', 'tags'],
];

describe('msgpackrCodec', () => {
  const codec = msgpackrCodec();

  it('is id 1, name msgpackr, by default', () => {
    expect(codec.id).toBe(1);
    expect(codec.name).toBe('msgpackr');
    expect(msgpackrCodec({ records: true }).name).toBe('msgpackr-records');
  });

  it('round-trips arbitrary supported values', () => {
    check(
      fc.property(msgpackValue, (value) => {
        expect(codec.decode(codec.encode(value))).toEqual(value);
        checkEncodeInto(codec, value);
      }),
    );
  });

  it('keeps Dates, BigInts, Sets, typed arrays, undefined and NaN', () => {
    const value = {
      date: new Date(86_400_000),
      big: 2n ** 64n + 5n,
      small: 7n,
      set: new Set([1, 'x']),
      f64: new Float64Array([1.5, -2]),
      u8: new Uint8Array([1, 2, 3]),
      undef: undefined,
      nan: Number.NaN,
    };
    const decoded = codec.decode(codec.encode(value)) as typeof value;
    expect(decoded).toEqual(value);
    expect(decoded.date).toBeInstanceOf(Date);
    expect(decoded.set).toBeInstanceOf(Set);
    expect(decoded.f64).toBeInstanceOf(Float64Array);
    expect(typeof decoded.small).toBe('bigint');
    expect('undef' in decoded).toBe(true);
  });

  it('turns a Map into a plain object and -0 into 0', () => {
    expect(
      codec.decode(
        codec.encode(
          new Map<unknown, unknown>([
            ['a', 1],
            [2, 'b'],
          ]),
        ),
      ),
    ).toEqual({
      a: 1,
      '2': 'b',
    });
    expect(Object.is(codec.decode(codec.encode(-0)), 0)).toBe(true);
  });

  it('copies binary values out of the input by default', () => {
    const bytes = codec.encode(new Uint8Array([1, 2, 3])).slice();
    const decoded = codec.decode(bytes) as Uint8Array;
    bytes.fill(0);
    expect(Array.from(decoded)).toEqual([1, 2, 3]);
  });

  it('refuses symbols and cycles with UNSUPPORTED_TYPE', () => {
    expectCodecError(() => codec.encode(Symbol('s')), 'UNSUPPORTED_TYPE');
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expectCodecError(() => codec.encode(cycle), 'UNSUPPORTED_TYPE');
    expectCodecError(() => codec.encodeInto(Symbol('s'), new Uint8Array(8), 0), 'UNSUPPORTED_TYPE');
    // The packer is still usable afterwards.
    expect(codec.decode(codec.encode(envelope))).toEqual(envelope);
  });

  it('classifies bad input and never trusts declared lengths', () => {
    expectCodecError(() => codec.decode(new Uint8Array(0)), 'TRUNCATED');
    expectCodecError(() => codec.decode(hex('91')), 'TRUNCATED');
    // 4-gigabyte declared lengths for array, bin, str, map and ext: rejected at once.
    for (const declared of [
      'dd ff ff ff ff',
      'c6 ff ff ff ff',
      'db ff ff ff ff',
      'df ff ff ff ff',
    ]) {
      expectCodecError(() => codec.decode(hex(declared)), 'TRUNCATED');
    }
    expectCodecError(() => codec.decode(hex('c9 ff ff ff ff 01')), 'TRUNCATED');
    expectCodecError(() => codec.decode(hex('c1')), 'MALFORMED');
    expectCodecError(() => codec.decode(hex('01 02')), 'MALFORMED'); // trailing bytes
  });

  it('rejects absurd nesting without crashing, and stays usable', () => {
    expectCodecError(() => codec.decode(new Uint8Array(200_000).fill(0x91)), 'MALFORMED');
    expect(codec.decode(codec.encode(envelope))).toEqual(envelope);
  });

  it('enforces maxSize before decoding and on encode', () => {
    const small = msgpackrCodec({ maxSize: 16 });
    expectCodecError(() => small.decode(new Uint8Array(17)), 'TOO_LARGE');
    expectCodecError(() => small.encode('x'.repeat(20)), 'TOO_LARGE');
    expectCodecError(() => small.encodeInto('x'.repeat(20), new Uint8Array(64), 0), 'TOO_LARGE');
    expect(small.decode(small.encode('short'))).toBe('short');
  });

  it('never throws anything but CodecError on random bytes', () => {
    check(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        decodeOrCodecError(codec, bytes);
      }),
      500,
    );
  });

  it('rejects every strict prefix of a valid encoding with a CodecError', () => {
    check(
      fc.property(msgpackValue, fc.nat(), (value, cut) => {
        const bytes = codec.encode(value);
        if (bytes.length < 2) return;
        const error = decodeOrCodecError(codec, bytes.slice(0, cut % bytes.length));
        expect(error).toBeInstanceOf(CodecError);
      }),
    );
  });

  it('survives random byte flips in valid encodings', () => {
    check(
      fc.property(msgpackValue, fc.nat(), fc.integer({ min: 0, max: 255 }), (value, at, byte) => {
        const bytes = codec.encode(value).slice();
        if (bytes.length === 0) return;
        bytes[at % bytes.length] = byte;
        decodeOrCodecError(codec, bytes);
      }),
    );
  });
});

describe('msgpackrCodec with records', () => {
  it('in-message records round-trip arrays of same-shaped objects more compactly', () => {
    const plain = msgpackrCodec();
    const records = msgpackrCodec({ records: true });
    const rows = Array.from({ length: 20 }, (_, i) => ({ id: i, name: `n${i}`, ok: i % 2 === 0 }));
    const encoded = records.encode(rows);
    expect(encoded.length).toBeLessThan(plain.encode(rows).length);
    // Self-describing: a fresh instance (another process) decodes it.
    expect(msgpackrCodec({ records: true }).decode(encoded)).toEqual(rows);
  });

  it('in-message records round-trip arbitrary values', () => {
    const records = msgpackrCodec({ records: true });
    check(
      fc.property(msgpackValue, (value) => {
        expect(msgpackrCodec({ records: true }).decode(records.encode(value))).toEqual(value);
        checkEncodeInto(records, value);
      }),
    );
  });

  it('shared structures shrink the envelope and decode in a peer with the same list', () => {
    const sender = msgpackrCodec({ records: { structures } });
    const receiver = msgpackrCodec({ records: { structures } });
    const encoded = sender.encode(envelope);
    expect(encoded.length).toBeLessThan(msgpackrCodec().encode(envelope).length / 2);
    expect(receiver.decode(encoded)).toEqual(envelope);
    // Shapes outside the list still travel, and do not change the agreed list.
    const other = { x: 1, y: [{ q: 1 }, { q: 2 }] };
    expect(receiver.decode(sender.encode(other))).toEqual(other);
    expect(receiver.decode(sender.encode(envelope))).toEqual(envelope);
    expect(structures).toEqual([
      ['id', 'method', 'params'],
      ['user', 'n', 'flags', 'tags'],
    ]);
  });

  it('shared structures round-trip arbitrary values across instances', () => {
    const sender = msgpackrCodec({ records: { structures } });
    const receiver = msgpackrCodec({ records: { structures } });
    check(
      fc.property(msgpackValue, (value) => {
        expect(receiver.decode(sender.encode(value))).toEqual(value);
        checkEncodeInto(sender, value);
      }),
    );
  });

  it('a peer without the structures fails with a CodecError or decodes differently, never crashes', () => {
    const sender = msgpackrCodec({ records: { structures } });
    decodeOrCodecError(msgpackrCodec(), sender.encode(envelope));
    decodeOrCodecError(
      msgpackrCodec({ records: { structures: [['other']] } }),
      sender.encode(envelope),
    );
  });

  it('garbage never throws anything but CodecError', () => {
    const codec = msgpackrCodec({ records: { structures } });
    check(
      fc.property(fc.uint8Array({ maxLength: 96 }), (bytes) => {
        decodeOrCodecError(codec, bytes);
      }),
      500,
    );
  });

  it('validates the structures option', () => {
    expectCodecError(() => msgpackrCodec({ records: { structures: [[]] } }), 'INVALID_CODEC');
    expectCodecError(
      () => msgpackrCodec({ records: { structures: [[1 as unknown as string]] } }),
      'INVALID_CODEC',
    );
    expectCodecError(
      () => msgpackrCodec({ records: { structures: Array.from({ length: 33 }, () => ['a']) } }),
      'INVALID_CODEC',
    );
  });
});
