import type { HttpResponse } from 'uWebSockets.js';

export interface CorsOptions {
  /**
   * Allowed origins: `'*'` for any (without credentials), one origin, a list,
   * or a predicate. Default: `'*'`.
   */
  origin?: '*' | string | readonly string[] | ((origin: string) => boolean);
  /** Send `Access-Control-Allow-Credentials: true` (the origin is then echoed, never `*`). */
  credentials?: boolean;
  /** Request headers a browser may send; default: echo what the preflight asks for. */
  allowHeaders?: readonly string[];
  /** Response headers a browser script may read. */
  exposeHeaders?: readonly string[];
  /** How long a browser may cache a preflight, in seconds (default 600). */
  maxAge?: number;
}

/**
 * CORS compiled once: the per-request cost is one header read and, for a
 * cross-origin request, a set lookup and two or three header writes.
 */
export class Cors {
  private readonly any: boolean;
  private readonly allowed: ReadonlySet<string> | undefined;
  private readonly predicate: ((origin: string) => boolean) | undefined;
  private readonly credentials: boolean;
  private readonly allowHeaders: string | undefined;
  private readonly exposeHeaders: string | undefined;
  private readonly maxAge: string;

  constructor(options: CorsOptions) {
    const origin = options.origin ?? '*';
    this.any = origin === '*';
    this.predicate = typeof origin === 'function' ? origin : undefined;
    this.allowed =
      typeof origin === 'string' && origin !== '*'
        ? new Set([origin])
        : Array.isArray(origin)
          ? new Set(origin as readonly string[])
          : undefined;
    this.credentials = options.credentials === true;
    this.allowHeaders = options.allowHeaders?.join(', ');
    this.exposeHeaders =
      options.exposeHeaders && options.exposeHeaders.length > 0
        ? options.exposeHeaders.join(', ')
        : undefined;
    this.maxAge = String(options.maxAge ?? 600);
  }

  /** Whether a request from `origin` may read the response. */
  allows(origin: string): boolean {
    if (this.any) return true;
    if (this.allowed?.has(origin)) return true;
    if (this.predicate) {
      try {
        return this.predicate(origin) === true;
      } catch {
        return false;
      }
    }
    return false;
  }

  /** Headers for an actual (non-preflight) response. `origin` is '' when absent. */
  writeHeaders(res: HttpResponse, origin: string): void {
    if (origin.length === 0 || !this.allows(origin)) return;
    if (this.any && !this.credentials) {
      res.writeHeader('access-control-allow-origin', '*');
    } else {
      res.writeHeader('access-control-allow-origin', origin);
      res.writeHeader('vary', 'origin');
    }
    if (this.credentials) res.writeHeader('access-control-allow-credentials', 'true');
    if (this.exposeHeaders !== undefined) {
      res.writeHeader('access-control-expose-headers', this.exposeHeaders);
    }
  }

  /** Headers for a preflight answer (the caller ends it with 204). */
  writePreflight(res: HttpResponse, origin: string, methods: string, requested: string): void {
    this.writeHeaders(res, origin);
    if (origin.length === 0 || !this.allows(origin)) return;
    res.writeHeader('access-control-allow-methods', methods);
    const headers = this.allowHeaders ?? requested;
    if (headers.length > 0) res.writeHeader('access-control-allow-headers', headers);
    res.writeHeader('access-control-max-age', this.maxAge);
  }
}
