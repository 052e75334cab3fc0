import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeWire, encodeWire, WireError, type WireValue } from './wire.js';

const value: fc.Arbitrary<WireValue> = fc.letrec<{ v: WireValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.maxSafeInteger(),
    fc.string(),
    fc.uint8Array({ maxLength: 300 }),
    fc.array(tie('v'), { maxLength: 20 }),
  ),
})).v;

describe('wire', () => {
  it('round-trips every supported value', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeWire(encodeWire(v), { maxDepth: 64, maxArray: 1_000 })).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });

  it('uses the standard msgpack encodings', () => {
    expect([...encodeWire([1, 'a', true, null])]).toEqual([0x94, 0x01, 0xa1, 0x61, 0xc3, 0xc0]);
    expect([...encodeWire(-1)]).toEqual([0xff]);
    expect([...encodeWire(300)]).toEqual([0xcd, 0x01, 0x2c]);
    expect([...encodeWire(new Uint8Array([9]))]).toEqual([0xc4, 0x01, 0x09]);
  });

  it('rejects random bytes with WireError only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeWire(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(WireError);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('rejects truncated input, trailing bytes and hostile lengths before allocating', () => {
    const full = encodeWire(['hello', new Uint8Array(50), [1, 2, 3]]);
    for (let i = 0; i < full.length; i++) {
      expect(() => decodeWire(full.subarray(0, i))).toThrow(WireError);
    }
    expect(() => decodeWire(new Uint8Array([...full, 0]))).toThrow(/trailing/);
    // array32 claiming 4 billion elements, str32 and bin32 claiming 4 GiB
    expect(() => decodeWire(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]))).toThrow(WireError);
    expect(() => decodeWire(new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff]))).toThrow(/truncated/);
    expect(() => decodeWire(new Uint8Array([0xc6, 0xff, 0xff, 0xff, 0xff]))).toThrow(/truncated/);
  });

  it('bounds nesting depth', () => {
    let v: WireValue = [];
    for (let i = 0; i < 10; i++) v = [v];
    expect(() => decodeWire(encodeWire(v), { maxDepth: 4, maxArray: 10 })).toThrow(/deep/);
  });
});
