/** At most this many query parameters are read; the rest are ignored (bounded work). */
export const MAX_QUERY_PARAMS = 64;

function decode(text: string): string {
  if (text.indexOf('%') === -1 && text.indexOf('+') === -1) return text;
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    // A malformed escape is kept verbatim rather than failing the request.
    return text;
  }
}

/**
 * Parses `a=1&b=x&b=y` into `{ a: '1', b: ['x', 'y'] }`. Keys named
 * `__proto__`, `constructor` or `prototype` are dropped: the result is merged
 * into handler input and must never reach an object's prototype.
 */
export function parseQuery(query: string | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (query === undefined || query.length === 0) return out;
  let count = 0;
  let start = 0;
  while (start <= query.length && count < MAX_QUERY_PARAMS) {
    let end = query.indexOf('&', start);
    if (end === -1) end = query.length;
    if (end > start) {
      count++;
      const eq = query.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const key = decode(query.slice(start, hasValue ? eq : end));
      const value = hasValue ? decode(query.slice(eq + 1, end)) : '';
      if (key !== '__proto__' && key !== 'constructor' && key !== 'prototype' && key !== '') {
        const prev = out[key];
        if (prev === undefined) out[key] = value;
        else if (Array.isArray(prev)) prev.push(value);
        else out[key] = [prev, value];
      }
    }
    start = end + 1;
  }
  return out;
}

/** Decodes a path parameter; uWS hands them over still percent-encoded. */
export function decodeParam(raw: string): string {
  if (raw.indexOf('%') === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
