/**
 * A REST path compiled once: the uWS pattern (uWS routes natively, in C++),
 * the parameter names by position (uWS hands parameters out by index), and a
 * segment list for the cold-path matcher used by OPTIONS and 405 answers.
 */
export interface PathPattern {
  readonly path: string;
  readonly paramNames: readonly string[];
  readonly segments: readonly (string | null)[];
}

const SEGMENT = /^[A-Za-z0-9._~!$&'()*+,;=@-]*$/;
const PARAM = /^:[A-Za-z_][A-Za-z0-9_]*$/;

export function compilePath(path: string): PathPattern {
  if (!path.startsWith('/')) throw new TypeError(`path must start with '/': ${path}`);
  const segments: (string | null)[] = [];
  const paramNames: string[] = [];
  for (const segment of path.slice(1).split('/')) {
    if (segment.startsWith(':')) {
      if (!PARAM.test(segment)) throw new TypeError(`bad path parameter '${segment}' in ${path}`);
      const name = segment.slice(1);
      if (paramNames.includes(name)) throw new TypeError(`duplicate parameter :${name} in ${path}`);
      paramNames.push(name);
      segments.push(null);
    } else {
      if (!SEGMENT.test(segment)) throw new TypeError(`bad path segment '${segment}' in ${path}`);
      segments.push(segment);
    }
  }
  return { path, paramNames, segments };
}

/** Whether a request path (no query) matches; parameters match any non-empty segment. */
export function matchesPath(pattern: PathPattern, url: string): boolean {
  const parts = url.slice(1).split('/', pattern.segments.length + 1);
  if (parts.length !== pattern.segments.length) return false;
  for (let i = 0; i < parts.length; i++) {
    const expected = pattern.segments[i];
    const actual = parts[i]!;
    if (expected === null ? actual.length === 0 : expected !== actual) return false;
  }
  return true;
}
