import { method, service } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { placeBy, placementKey, placementOf } from './placement.js';

describe('placement selectors', () => {
  it('reads a nested input field', () => {
    const s = placeBy('user.id');
    expect(placementKey(s, { user: { id: 'u1' } }, {})).toBe('u1');
    expect(placementKey(s, { user: { id: 42 } }, {})).toBe('42');
  });

  it('reads a metadata entry', () => {
    const s = placeBy('tenant', 'metadata');
    expect(placementKey(s, {}, { tenant: 'acme' })).toBe('acme');
    expect(placementKey(s, {}, {})).toBeUndefined();
  });

  it('has no key for missing or non-scalar fields (the call runs where it arrived)', () => {
    const s = placeBy('a.b');
    expect(placementKey(s, undefined, {})).toBeUndefined();
    expect(placementKey(s, { a: null }, {})).toBeUndefined();
    expect(placementKey(s, { a: { b: { c: 1 } } }, {})).toBeUndefined();
  });

  it('rejects bad paths and sources with a clear error', () => {
    expect(() => placeBy('')).toThrow(/invalid path/);
    expect(() => placeBy('a..b')).toThrow(/invalid path/);
    expect(() => placeBy('a', 'body' as 'input')).toThrow(/from must be/);
  });

  it('is plain data on the method, found by placementOf', () => {
    const svc = service('s', { m: method({ selectors: [placeBy('id')], handler: () => 1 }) });
    const sel = svc.methods.m.selectors[0];
    expect(JSON.parse(JSON.stringify(sel))).toEqual({
      kind: 'placement',
      from: 'input',
      path: ['id'],
    });
    const entry = { selectors: svc.methods.m.selectors } as Parameters<typeof placementOf>[0];
    expect(placementOf(entry)).toBe(sel);
  });
});
