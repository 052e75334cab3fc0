import { describe, expect, it } from 'vitest';
import { decodeRequestExt, encodeRequestExt } from './request-ext.js';

describe('REQUEST extension block (PROTOCOL.md §6.2)', () => {
  it('round-trips deadline and metadata', () => {
    const b = Buffer.from(encodeRequestExt(1234.2, { a: '1', 'x-ü': 'välue' })!);
    expect(decodeRequestExt(b, 0, b.length)).toEqual({
      timeoutMs: 1235,
      metadata: { a: '1', 'x-ü': 'välue' },
    });
  });

  it('omits the block when there is nothing to carry', () => {
    expect(encodeRequestExt(0, undefined)).toBeUndefined();
    expect(encodeRequestExt(Number.POSITIVE_INFINITY, {})).toBeUndefined();
  });

  it('rejects bad metadata on encode', () => {
    expect(() => encodeRequestExt(0, { '': 'x' })).toThrow(/1–255 bytes/);
    expect(() => encodeRequestExt(0, { k: 'v'.repeat(70_000) })).toThrow(/65535/);
    const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
    expect(() => encodeRequestExt(0, many)).toThrow(/at most 64/);
  });

  it('rejects malformed blocks with PROTOCOL_ERROR', () => {
    const good = Buffer.from(encodeRequestExt(10, { key: 'value' })!);
    for (const cut of [1, 4, 6, good.length - 1]) {
      expect(() => decodeRequestExt(good, 0, cut)).toThrow(
        expect.objectContaining({ code: 'PROTOCOL_ERROR' }),
      );
    }
    const trailing = Buffer.concat([good, Buffer.from([0])]);
    expect(() => decodeRequestExt(trailing, 0, trailing.length)).toThrow(/trailing|truncated|bad/);
    const zeroKey = Buffer.from([10, 0, 0, 0, 1, 0, 0, 0]);
    expect(() => decodeRequestExt(zeroKey, 0, zeroKey.length)).toThrow(/bad metadata key/);
  });
});
