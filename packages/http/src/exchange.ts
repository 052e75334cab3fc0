import type { HttpResponse } from 'uWebSockets.js';
import type { Connection, DispatchRequest, Metadata, MethodEntry } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/core';
import type { BodySink } from './body-reader.js';
import type { Expirable } from './deadline-tracker.js';
import { endHead } from './head-response.js';
import { type BodyFormat, contentTypeOf, encodeBody } from './media-type.js';
import type { CompiledRoute } from './route.js';
import { type PooledController, recycleController, takeController } from './signal-pool.js';
import { statusLine } from './status-line.js';

/** What an exchange needs from the gateway that owns it. */
export interface ExchangeHost {
  readonly name: string;
  /** Writes CORS headers for `origin` ('' when absent). */
  writeCors(res: HttpResponse, origin: string): void;
  /** The exchange finished, failed or was aborted: forget it. Called once. */
  release(exchange: Exchange): void;
  /** Bodies above this many bytes go out through tryEnd/onWritable. */
  readonly largeBody: number;
  /** A failure in the gateway itself (never a handler's): log it, do not throw. */
  reportError(error: unknown): void;
}

const decoder = new TextDecoder();
let nextId = 0;

const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
// Visible ASCII, spaces and tabs: no CR/LF (header injection), no NUL, no 8-bit.
const HEADER_VALUE = /^[\t\x20-\x7e]{0,4096}$/;
const MAX_EXTRA_HEADERS = 32;
/** Framing and negotiation headers the gateway owns. */
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'transfer-encoding',
  'connection',
  'date',
  'keep-alive',
  'upgrade',
]);

let corking: Exchange | undefined;
let corkBody: string | Uint8Array | undefined;

function writeCorked(): void {
  const exchange = corking!;
  const body = corkBody;
  corking = undefined;
  corkBody = undefined;
  exchange.writeBody(body);
}

/**
 * One HTTP request from arrival to the last byte of its response. It is, at
 * once, the DispatchRequest handed to the edge and the request's Connection,
 * so the hot path allocates one object instead of three; the costly parts
 * (AbortController, remote address, id string) are created only when read.
 */
export class Exchange implements DispatchRequest, Connection, Expirable, BodySink {
  /** The client went away: `res` must not be touched any more. */
  aborted = false;
  /** A response was started (or the exchange was abandoned): no second one. */
  done = false;
  private controller: PooledController | undefined;
  private abortReason: SwitchyardError | undefined;
  private readonly seq = ++nextId;
  /** Set by the SSE writer so an abort reaches it. */
  onAbort: (() => void) | undefined;
  // Links of the gateway's request-timeout list (see DeadlineTracker).
  deadlinePrev: Expirable | null = null;
  deadlineNext: Expirable | null = null;
  deadlineTracked = false;

  input: unknown;
  metadata: Metadata;
  /** Encoded body size, for the edge's `limits.maxInputBytes`. */
  inputSize?: number;
  /**
   * When the gateway answers 504 (on the `elapsedMs()` clock). Not passed to the edge as
   * `deadline`: the edge applies each method's own timeout.
   */
  readonly expiresAt: number;

  constructor(
    readonly host: ExchangeHost,
    readonly res: HttpResponse,
    readonly route: CompiledRoute,
    readonly format: BodyFormat,
    readonly origin: string,
    readonly head: boolean,
    input: unknown,
    metadata: Metadata,
    expiresAt: number,
  ) {
    this.input = input;
    this.metadata = metadata;
    this.expiresAt = expiresAt;
  }

  // Prototype getters rather than fields: a smaller object per request.
  get method(): MethodEntry {
    return this.route.entry;
  }

  get gateway(): string {
    return this.host.name;
  }

  get transport(): string {
    return 'http';
  }

  // --- Connection -----------------------------------------------------------

  get id(): string {
    return `${this.gateway}-${this.seq}`;
  }

  get connection(): Connection {
    return this;
  }

  private remote: string | undefined;
  /** Read on first use, and only while uWS still owns the response ('' after). */
  get remoteAddress(): string {
    if (this.remote === undefined && !this.aborted && !this.done) {
      this.remote = decoder.decode(this.res.getRemoteAddressAsText());
    }
    return this.remote ?? '';
  }

  // --- response headers --------------------------------------------------------

  /** Headers a handler asked for (name, value, name, value…); see setResponseHeader(). */
  private extraHeaders: string[] | undefined;

  setResponseHeader(name: string, value: string): void {
    const key = name.toLowerCase();
    if (!HEADER_NAME.test(key) || RESERVED_HEADERS.has(key)) {
      throw new TypeError(`setResponseHeader(): '${name}' cannot be set by a handler`);
    }
    if (typeof value !== 'string' || !HEADER_VALUE.test(value)) {
      throw new TypeError(`setResponseHeader(): invalid value for '${name}'`);
    }
    const headers = (this.extraHeaders ??= []);
    if (headers.length >= MAX_EXTRA_HEADERS * 2) {
      throw new TypeError(`setResponseHeader(): more than ${MAX_EXTRA_HEADERS} headers`);
    }
    headers.push(key, value);
  }

  /** CORS headers, then the handler's own: written on every response of this exchange. */
  writeCors(res: HttpResponse, origin: string): void {
    this.host.writeCors(res, origin);
    const headers = this.extraHeaders;
    if (headers === undefined) return;
    for (let i = 0; i < headers.length; i += 2) res.writeHeader(headers[i]!, headers[i + 1]!);
  }

  // --- DispatchRequest --------------------------------------------------------

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = takeController();
      if (this.abortReason !== undefined) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  private abortSignal(reason: SwitchyardError): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
  }

  // --- lifecycle --------------------------------------------------------------

  /**
   * Attaches uWS's onAborted; required before the route callback returns
   * without having answered, and only then (a synchronous answer needs none).
   */
  watchAbort(): void {
    if (this.abortWatched) return;
    this.abortWatched = true;
    this.res.onAborted(() => this.clientAborted());
  }
  private abortWatched = false;

  /** uWS onAborted: the client disconnected before the response ended. */
  clientAborted(): void {
    this.aborted = true;
    const wasDone = this.done;
    this.done = true;
    this.onBody = undefined;
    this.abortSignal(new SwitchyardError('CANCELLED', 'client disconnected'));
    this.onAbort?.();
    if (!wasDone) this.host.release(this);
  }

  /** The request deadline passed before a response was started. */
  expire(): void {
    if (this.done) return;
    const error = new SwitchyardError('DEADLINE_EXCEEDED', 'request timed out');
    this.abortSignal(error);
    // The body may still be arriving: close so the client cannot keep sending.
    this.fail(error, true);
  }

  /** Shutdown ran out of time. */
  cancel(reason: SwitchyardError): void {
    this.abortSignal(reason);
    this.onAbort?.();
    if (!this.done) this.fail(reason, true);
  }

  /** The exchange ended without an abort: its signal may serve another request. */
  private recycle(): void {
    const controller = this.controller;
    if (controller === undefined || this.abortReason !== undefined) return;
    this.controller = undefined;
    // Later reads of `signal` (there should be none) get a fresh controller.
    recycleController(controller);
  }

  /**
   * The unary result is there. `inRouteCallback`: still inside the uWS route
   * callback, which uWS corks by itself, so the round trip through `cork()`
   * (JS → C++ → JS) is skipped.
   */
  succeed(value: unknown, inRouteCallback = false): void {
    if (this.done) return;
    this.done = true;
    this.host.release(this);
    this.recycle();
    let body: string | Uint8Array | undefined;
    try {
      body = value === undefined ? undefined : encodeBody(value, this.format);
    } catch (cause) {
      this.done = false;
      this.fail(new SwitchyardError('INTERNAL', 'response could not be encoded', { cause }));
      return;
    }
    if (body !== undefined && body.length > this.host.largeBody && !this.head) {
      try {
        this.sendLarge(typeof body === 'string' ? Buffer.from(body) : body);
      } catch (error) {
        this.host.reportError(error);
      }
      return;
    }
    try {
      if (inRouteCallback) {
        this.writeBody(body);
      } else {
        // cork() runs its callback synchronously: hand it over in module state
        // instead of allocating a closure per response.
        corking = this;
        corkBody = body;
        this.res.cork(writeCorked);
      }
    } catch (error) {
      // In a promise callback a throw would be an unhandled rejection.
      this.host.reportError(error);
    }
  }

  writeBody(body: string | Uint8Array | undefined): void {
    const res = this.res;
    if (body === undefined) {
      res.writeStatus('204 No Content');
      this.writeCors(res, this.origin);
      res.endWithoutBody();
      return;
    }
    res.writeHeader('content-type', contentTypeOf(this.format));
    this.writeCors(res, this.origin);
    if (this.head) endHead(res, typeof body === 'string' ? Buffer.byteLength(body) : body.length);
    else res.end(body);
  }

  /**
   * A big body goes out as fast as the client reads it: uWS copies only what
   * the socket cannot take now, and we resume from the write offset on
   * onWritable, so a slow reader costs this one buffer and no more.
   */
  private sendLarge(body: Uint8Array): void {
    if (this.aborted) return;
    // The response may outlive the route callback, which uWS allows only
    // with onAborted attached (a synchronous answer has not attached it yet).
    this.watchAbort();
    this.res.cork(() => {
      const res = this.res;
      res.writeHeader('content-type', contentTypeOf(this.format));
      this.writeCors(res, this.origin);
      const base = res.getWriteOffset();
      const [ok, finished] = res.tryEnd(body, body.length);
      if (ok || finished) return;
      res.onWritable((offset) => {
        if (this.aborted) return true;
        const [sent, ended] = res.tryEnd(body.subarray(offset - base), body.length);
        return sent || ended;
      });
    });
  }

  /** Sends an error response; never a stack trace. */
  fail(error: unknown, closeConnection = false): void {
    if (this.done) return;
    this.done = true;
    this.host.release(this);
    this.recycle();
    const err = SwitchyardError.from(error);
    try {
      this.res.cork(() => writeError(this.res, err, this, this.origin, closeConnection, this.head));
    } catch (failure) {
      this.host.reportError(failure);
    }
  }

  // --- request body (BodySink) ------------------------------------------------

  /** Set while a body is read: where the whole body goes. */
  onBody: ((exchange: Exchange, body: Buffer) => void) | undefined;

  bodyTooLarge(limit: number): void {
    // The connection is closed so the rest of the body never arrives.
    this.fail(
      new SwitchyardError('PAYLOAD_TOO_LARGE', `request body exceeds ${limit} bytes`),
      true,
    );
  }

  bodyComplete(body: Buffer): void {
    const onBody = this.onBody;
    this.onBody = undefined;
    onBody?.(this, body);
  }
}

/**
 * Writes `{code, message, data}` with the status from the shared table, or
 * `status` for the HTTP-only answers the table has no code of its own for
 * (405, 406).
 */
export function writeError(
  res: HttpResponse,
  error: SwitchyardError,
  host: Pick<ExchangeHost, 'writeCors'>,
  origin: string,
  closeConnection: boolean,
  head = false,
  status = error.status,
): void {
  res.writeStatus(statusLine(status));
  res.writeHeader('content-type', 'application/json');
  host.writeCors(res, origin);
  const body = errorBody(error);
  if (head) endHead(res, Buffer.byteLength(body));
  else res.end(body, closeConnection);
}

/** The JSON error body; `data` that cannot be serialized is dropped, never thrown. */
export function errorBody(error: SwitchyardError): string {
  try {
    return JSON.stringify(error.toJSON());
  } catch {
    return JSON.stringify({ code: error.code, message: error.message });
  }
}
