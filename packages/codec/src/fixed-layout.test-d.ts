import { describe, expectTypeOf, it } from 'vitest';
import { fixedLayout } from './fixed-layout.js';

describe('fixedLayout types', () => {
  it('infers the record type from the layout', () => {
    const tick = fixedLayout({
      id: 16,
      name: 'tick',
      fields: {
        seq: 'u32',
        price: 'f64',
        ok: 'bool',
        sym: { string: 8 },
        raw: { bytes: 4 },
        big: 'u64',
      },
    });
    expectTypeOf(tick.decode(new Uint8Array(0))).toEqualTypeOf<{
      seq: number;
      price: number;
      ok: boolean;
      sym: string;
      raw: Uint8Array;
      big: bigint;
    }>();
    expectTypeOf(tick.encode).parameter(0).toHaveProperty('big').toEqualTypeOf<bigint>();
    expectTypeOf(tick.offsets).toHaveProperty('sym').toEqualTypeOf<number>();
  });
});
