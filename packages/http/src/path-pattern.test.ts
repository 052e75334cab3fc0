import { describe, expect, it } from 'vitest';
import { compilePath, matchesPath } from './path-pattern.js';

describe('path patterns', () => {
  it('compiles parameters in order', () => {
    const p = compilePath('/shops/:shop/items/:item');
    expect(p.paramNames).toEqual(['shop', 'item']);
    expect(p.segments).toEqual(['shops', null, 'items', null]);
  });

  it('refuses malformed or ambiguous paths', () => {
    expect(() => compilePath('no-slash')).toThrow(/start with/);
    expect(() => compilePath('/a/:1x')).toThrow(/bad path parameter/);
    expect(() => compilePath('/a/:id/:id')).toThrow(/duplicate/);
    expect(() => compilePath('/a b')).toThrow(/bad path segment/);
  });

  it('matches concrete paths (cold path for OPTIONS and 405)', () => {
    const p = compilePath('/users/:id');
    expect(matchesPath(p, '/users/42')).toBe(true);
    expect(matchesPath(p, '/users/')).toBe(false);
    expect(matchesPath(p, '/users/42/x')).toBe(false);
    expect(matchesPath(p, '/people/42')).toBe(false);
  });
});
