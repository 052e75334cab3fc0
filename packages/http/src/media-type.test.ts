import { describe, expect, it } from 'vitest';
import { decodeBody, encodeBody, requestFormat, responseFormat } from './media-type.js';

describe('content negotiation', () => {
  it('knows JSON and msgpack request bodies, nothing else', () => {
    expect(requestFormat('application/json')).toBe('json');
    expect(requestFormat('Application/JSON; charset=utf-8')).toBe('json');
    expect(requestFormat('application/problem+json')).toBe('json');
    expect(requestFormat('application/msgpack')).toBe('msgpack');
    expect(requestFormat('application/x-msgpack')).toBe('msgpack');
    expect(requestFormat('text/plain')).toBeUndefined();
    expect(requestFormat('')).toBeUndefined();
  });

  it('answers JSON unless msgpack is preferred', () => {
    expect(responseFormat('')).toBe('json');
    expect(responseFormat('*/*')).toBe('json');
    expect(responseFormat('application/msgpack')).toBe('msgpack');
    expect(responseFormat('application/json, application/msgpack')).toBe('json');
    expect(responseFormat('application/json;q=0.5, application/msgpack')).toBe('msgpack');
    expect(responseFormat('application/msgpack;q=0')).toBe('json');
  });

  it('round-trips both formats and reports malformed input as INVALID_ARGUMENT', () => {
    for (const format of ['json', 'msgpack'] as const) {
      const bytes = encodeBody({ a: [1, 'x'] }, format);
      expect(decodeBody(Buffer.from(bytes), format)).toEqual({ a: [1, 'x'] });
    }
    expect(() => decodeBody(Buffer.from('{'), 'json')).toThrow(/malformed JSON/);
    expect(() => decodeBody(Buffer.from([0xc1]), 'msgpack')).toThrow(/malformed msgpack/);
  });
});
