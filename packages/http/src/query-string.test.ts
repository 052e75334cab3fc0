import { describe, expect, it } from 'vitest';
import { decodeParam, MAX_QUERY_PARAMS, parseQuery } from './query-string.js';

describe('parseQuery', () => {
  it('parses pairs, repeats, flags and escapes', () => {
    expect(parseQuery('a=1&b=x&b=y&flag&c=a%20b+c&&')).toEqual({
      a: '1',
      b: ['x', 'y'],
      flag: '',
      c: 'a b c',
    });
  });

  it('returns an empty object for no query', () => {
    expect(parseQuery(undefined)).toEqual({});
    expect(parseQuery('')).toEqual({});
  });

  it('never touches prototypes', () => {
    const out = parseQuery('__proto__=x&constructor=y&prototype=z&ok=1');
    expect(out).toEqual({ ok: '1' });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('keeps malformed escapes verbatim', () => {
    expect(parseQuery('a=%E0%A4%A')).toEqual({ a: '%E0%A4%A' });
  });

  it('reads a bounded number of parameters', () => {
    const query = Array.from({ length: 1000 }, (_, i) => `k${i}=${i}`).join('&');
    expect(Object.keys(parseQuery(query))).toHaveLength(MAX_QUERY_PARAMS);
  });
});

describe('decodeParam', () => {
  it('decodes percent escapes and keeps bad ones', () => {
    expect(decodeParam('a%2Fb')).toBe('a/b');
    expect(decodeParam('plain')).toBe('plain');
    expect(decodeParam('%zz')).toBe('%zz');
  });
});
