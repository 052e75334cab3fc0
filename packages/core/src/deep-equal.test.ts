import { expect, it } from 'vitest';
import { deepEqual } from './deep-equal.js';

it('compares plain data structurally', () => {
  expect(deepEqual({ a: [1, { b: 'x' }] }, { a: [1, { b: 'x' }] })).toBe(true);
  expect(deepEqual({ a: 1 }, { a: 1, b: undefined })).toBe(false);
  expect(deepEqual([1, 2], [2, 1])).toBe(false);
  expect(deepEqual(Number.NaN, Number.NaN)).toBe(true);
  expect(deepEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
  expect(deepEqual(new Date(5), new Date(5))).toBe(true);
  expect(deepEqual(new Map([[1, 'a']]), new Map([[1, 'b']]))).toBe(false);
  expect(deepEqual({}, [])).toBe(false);
  expect(deepEqual(null, {})).toBe(false);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const other: Record<string, unknown> = {};
  other.self = other;
  expect(deepEqual(cyclic, other)).toBe(false);
});
