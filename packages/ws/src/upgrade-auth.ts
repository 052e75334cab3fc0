import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { SwitchyardError } from '@switchyard/stream';

/** What the auth hook sees of the HTTP upgrade request (copied: uWS frees it on return). */
export interface UpgradeRequest {
  /** Path without the query string. */
  readonly url: string;
  /** Raw query string, without '?'. */
  readonly query: string;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly remoteAddress: string;
}

/**
 * `true` or an object accepts the upgrade; `false` answers 401. An object's
 * `metadata` is added to every call on the connection (and wins over keys the
 * client sends), which is how handlers learn who is calling.
 */
export type AuthResult = boolean | { readonly metadata?: Readonly<Record<string, string>> };

/** Runs before the socket opens; throw a SwitchyardError to answer with its status. */
export type AuthHook = (request: UpgradeRequest) => AuthResult | Promise<AuthResult>;

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Copies what an async hook may need before uWS reclaims `req`. */
export function readUpgradeRequest(req: HttpRequest, res: HttpResponse): UpgradeRequest {
  const headers: Record<string, string> = {};
  req.forEach((key, value) => {
    headers[key] = value;
  });
  return {
    url: req.getUrl(),
    query: req.getQuery() ?? '',
    headers,
    remoteAddress: Buffer.from(res.getRemoteAddressAsText()).toString(),
  };
}

/** Answers an upgrade request with an HTTP error and a JSON `{code, message}` body. */
export function rejectUpgrade(res: HttpResponse, error: SwitchyardError): void {
  const status = error.status;
  const text = STATUS_TEXT[status] ?? 'Error';
  res
    .writeStatus(`${status} ${text}`)
    .writeHeader('content-type', 'application/json')
    .writeHeader('connection', 'close')
    .end(JSON.stringify({ code: error.code, message: error.message }), true);
}

/** Maps whatever the hook threw or returned to the error the client gets. */
export function authFailure(value: unknown): SwitchyardError {
  if (value instanceof SwitchyardError) return value;
  return new SwitchyardError('UNAUTHENTICATED', 'authentication failed');
}

/** Normalises a hook result: metadata to attach, or an error to answer with. */
export function interpretAuth(
  result: unknown,
):
  | { ok: true; metadata: Readonly<Record<string, string>> | undefined }
  | { ok: false; error: SwitchyardError } {
  if (result === true) return { ok: true, metadata: undefined };
  if (typeof result === 'object' && result !== null) {
    const metadata = (result as { metadata?: unknown }).metadata;
    if (metadata === undefined) return { ok: true, metadata: undefined };
    if (
      typeof metadata === 'object' &&
      metadata !== null &&
      Object.values(metadata).every((v) => typeof v === 'string')
    ) {
      return { ok: true, metadata: { ...(metadata as Record<string, string>) } };
    }
    return {
      ok: false,
      error: new SwitchyardError('INTERNAL', 'auth hook returned invalid metadata'),
    };
  }
  return { ok: false, error: new SwitchyardError('UNAUTHENTICATED', 'authentication required') };
}
