import type { HttpResponse } from 'uWebSockets.js';
import { describe, expect, it } from 'vitest';
import { Cors } from './cors.js';

function recorder(): { res: HttpResponse; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  const res = {
    writeHeader(key: string, value: string) {
      headers[key] = value;
      return res;
    },
  } as unknown as HttpResponse;
  return { res, headers };
}

describe('Cors', () => {
  it('answers any origin with * when credentials are off', () => {
    const { res, headers } = recorder();
    new Cors({}).writeHeaders(res, 'https://a.example');
    expect(headers).toEqual({ 'access-control-allow-origin': '*' });
  });

  it('echoes the origin, with vary, when credentials are on', () => {
    const { res, headers } = recorder();
    new Cors({ credentials: true }).writeHeaders(res, 'https://a.example');
    expect(headers).toEqual({
      'access-control-allow-origin': 'https://a.example',
      vary: 'origin',
      'access-control-allow-credentials': 'true',
    });
  });

  it('checks lists and predicates, and survives a throwing predicate', () => {
    expect(new Cors({ origin: 'https://a.example' }).allows('https://b.example')).toBe(false);
    expect(new Cors({ origin: ['https://a.example'] }).allows('https://a.example')).toBe(true);
    expect(new Cors({ origin: (o) => o.endsWith('.example') }).allows('https://c.example')).toBe(
      true,
    );
    const throwing = new Cors({
      origin: () => {
        throw new Error('boom');
      },
    });
    expect(throwing.allows('https://a.example')).toBe(false);
  });

  it('writes nothing for requests without an allowed origin', () => {
    const { res, headers } = recorder();
    const cors = new Cors({ origin: ['https://a.example'] });
    cors.writeHeaders(res, '');
    cors.writeHeaders(res, 'https://evil.example');
    cors.writePreflight(res, 'https://evil.example', 'GET', 'x-a');
    expect(headers).toEqual({});
  });

  it('answers preflights with methods, headers and max-age', () => {
    const { res, headers } = recorder();
    new Cors({ allowHeaders: ['content-type', 'authorization'], maxAge: 60 }).writePreflight(
      res,
      'https://a.example',
      'GET, POST',
      'x-ignored',
    );
    expect(headers).toEqual({
      'access-control-allow-origin': '*',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'content-type, authorization',
      'access-control-max-age': '60',
    });
  });
});
