import { describe, expect, it } from 'vitest';
import {
  acceptsEventStream,
  decodeBody,
  encodeBody,
  requestFormat,
  responseFormat,
} from './media-type.js';

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
    expect(responseFormat('application/msgpack;q=0, application/json')).toBe('json');
    expect(responseFormat('text/html,application/xhtml+xml,*/*;q=0.8')).toBe('json');
    expect(responseFormat('application/*')).toBe('json');
    // JSON refused outright but a wildcard left: msgpack is the one still acceptable.
    expect(responseFormat('application/json;q=0, */*')).toBe('msgpack');
  });

  it('finds nothing acceptable when Accept admits neither JSON nor msgpack (406)', () => {
    expect(responseFormat('text/html')).toBeUndefined();
    expect(responseFormat('text/html, image/*;q=0.5')).toBeUndefined();
    expect(responseFormat('application/msgpack;q=0')).toBeUndefined();
    expect(responseFormat('application/json;q=0, application/msgpack;q=0')).toBeUndefined();
    expect(responseFormat('*/*;q=0')).toBeUndefined();
    expect(responseFormat('application/json;Q=0')).toBeUndefined();
    // Only the first 32 ranges are read.
    expect(responseFormat(`${'text/plain,'.repeat(40)}application/json`)).toBeUndefined();
  });

  it('knows when a streaming route may answer text/event-stream', () => {
    expect(acceptsEventStream('')).toBe(true);
    expect(acceptsEventStream('text/event-stream')).toBe(true);
    expect(acceptsEventStream('text/*')).toBe(true);
    expect(acceptsEventStream('*/*')).toBe(true);
    expect(acceptsEventStream('application/json, */*;q=0.1')).toBe(true);
    expect(acceptsEventStream('application/json')).toBe(false);
    expect(acceptsEventStream('text/event-stream;q=0, */*')).toBe(false);
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
