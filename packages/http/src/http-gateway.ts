import type { HttpRequest, HttpResponse, TemplatedApp, us_listen_socket } from 'uWebSockets.js';
import {
  type DispatchRequest,
  type Gateway,
  type GatewayHost,
  type HttpMethod,
  isRestSelector,
  type Metadata,
  type MethodEntry,
  SwitchyardError,
} from '@switchyard/core';
import { BodyReader } from './body-reader.js';
import { Cors, type CorsOptions } from './cors.js';
import { DeadlineTracker, elapsedMs } from './deadline-tracker.js';
import { Exchange, type ExchangeHost, errorBody, writeError } from './exchange.js';
import { endHead } from './head-response.js';
import {
  acceptsEventStream,
  type BodyFormat,
  decodeBody,
  requestFormat,
  responseFormat,
} from './media-type.js';
import { loadNativeUws, type UwsModule } from './native-uws.js';
import { buildOpenApi, type OpenApiInfo } from './openapi.js';
import { matchesPath } from './path-pattern.js';
import { decodeParam, parseQuery } from './query-string.js';
import {
  type CompiledRoute,
  coerce,
  compileHeaderMapping,
  compileRoute,
  type HeaderMappingOption,
} from './route.js';
import { SseStream } from './sse-stream.js';
import { statusLine } from './status-line.js';

export interface HttpGatewayOptions {
  /** Gateway name, unique per edge (default 'http'); shows up as `ctx.connection.gateway`. */
  name?: string;
  /** TCP port (default 3000); 0 picks a free one, readable as `gateway.port` after start. */
  port?: number;
  /** Interface to bind (default '0.0.0.0'). */
  host?: string;
  /** CORS for every route: `true` for any origin, or options. Off by default. */
  cors?: boolean | CorsOptions;
  /** Largest request body in bytes (default 1 MiB); larger ones get 413 before more is read. */
  bodyLimit?: number;
  /** Milliseconds from request arrival to response (default 30 000); then 504. */
  requestTimeout?: number;
  /**
   * Requests and streams in progress at once (default 10 000); past it new
   * requests get 503 UNAVAILABLE at once instead of queueing without bound.
   */
  maxInFlight?: number;
  /** Where the OpenAPI 3.1 document is served (default '/openapi.json'); false to disable. */
  openapi?: string | false | ({ path?: string } & OpenApiInfo);
  /** Health endpoint (default '/health'): 200 while serving, 503 once draining; false to disable. */
  health?: string | false;
  /** Request headers copied into `ctx.metadata` for every route (names, or header → key). */
  headers?: HeaderMappingOption;
  /** Per-method options by canonical name (`service.method`). */
  methods?: Readonly<Record<string, { headers?: HeaderMappingOption }>>;
  /** Server-Sent Events for server-streaming methods. */
  sse?: {
    /** Close a stream whose client has not read for this long (ms, default 30 000). */
    stallTimeout?: number;
    /** Send a comment after this much silence (ms, default 5 000). */
    heartbeat?: number;
  };
}

const UWS_METHOD: Record<
  HttpMethod,
  'get' | 'post' | 'put' | 'patch' | 'del' | 'head' | 'options'
> = {
  GET: 'get',
  POST: 'post',
  PUT: 'put',
  PATCH: 'patch',
  DELETE: 'del',
  HEAD: 'head',
  OPTIONS: 'options',
};

const CONTENT_LENGTH = /^\d{1,15}$/;
const EMPTY: Metadata = Object.freeze({});
const STATUS_OK = JSON.stringify({ status: 'ok' });
const STATUS_DRAINING = JSON.stringify({ status: 'draining' });

function positive(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0)
    throw new TypeError(`httpGateway: ${what} must be > 0`);
  return value;
}

/**
 * The REST gateway: every `rest(method, path)` selector becomes a uWS route.
 * Protocol work ends at `host.dispatch()`; everything here is HTTP mechanics.
 */
export class HttpGateway implements Gateway, ExchangeHost {
  readonly name: string;
  /** @internal Bodies above this size are sent with tryEnd/onWritable. */
  readonly largeBody = 64 * 1024;
  private readonly options: HttpGatewayOptions;
  private readonly bodyLimit: number;
  private readonly requestTimeout: number;
  private readonly maxInFlight: number;
  private readonly cors: Cors | undefined;
  private readonly openapiPath: string | undefined;
  private readonly healthPath: string | undefined;
  private readonly sse: { stallTimeout: number; heartbeat: number };
  private readonly routes: CompiledRoute[] = [];
  /** Requests waiting for their response; also the request-timeout queue. */
  private readonly tracker: DeadlineTracker<Exchange>;
  /** Responses being streamed (no request timeout, but shutdown waits for them). */
  private readonly streams = new Set<Exchange>();
  private host: GatewayHost | undefined;
  private uws: UwsModule | undefined;
  private app: TemplatedApp | undefined;
  private listenSocket: us_listen_socket | undefined;
  private openapiBody: string | undefined;
  private draining = false;
  private idle: (() => void) | undefined;
  private boundPort = 0;

  constructor(options: HttpGatewayOptions = {}) {
    this.options = options;
    this.name = options.name ?? 'http';
    this.bodyLimit = positive(options.bodyLimit, 1024 * 1024, 'bodyLimit');
    this.requestTimeout = positive(options.requestTimeout, 30_000, 'requestTimeout');
    this.maxInFlight = positive(options.maxInFlight, 10_000, 'maxInFlight');
    this.cors =
      options.cors === true
        ? new Cors({})
        : typeof options.cors === 'object'
          ? new Cors(options.cors)
          : undefined;
    const openapi = options.openapi ?? '/openapi.json';
    this.openapiPath =
      openapi === false
        ? undefined
        : typeof openapi === 'string'
          ? openapi
          : (openapi.path ?? '/openapi.json');
    const health = options.health ?? '/health';
    this.healthPath = health === false ? undefined : health;
    this.sse = {
      stallTimeout: positive(options.sse?.stallTimeout, 30_000, 'sse.stallTimeout'),
      heartbeat: positive(options.sse?.heartbeat, 5_000, 'sse.heartbeat'),
    };
    // Expiry is checked ~10 times per timeout, never more often than every 10 ms.
    this.tracker = new DeadlineTracker(
      Math.min(1000, Math.max(10, Math.floor(this.requestTimeout / 10))),
    );
  }

  /** The bound port once started (useful with `port: 0`). */
  get port(): number {
    return this.boundPort;
  }

  /** Requests and streams in progress. */
  get inFlight(): number {
    return this.tracker.size + this.streams.size;
  }

  register(methods: readonly MethodEntry[]): void {
    const global = compileHeaderMapping(this.options.headers);
    const seen = new Set<string>();
    for (const entry of methods) {
      for (const selector of entry.selectors) {
        if (!isRestSelector(selector)) continue;
        if (entry.kind === 'client-stream' || entry.kind === 'bidi') {
          throw new TypeError(
            `httpGateway: ${entry.name} is ${entry.kind}; REST serves unary and server-stream methods only`,
          );
        }
        const key = `${selector.method} ${selector.path.replace(/:[^/]+/g, ':')}`;
        if (seen.has(key)) {
          throw new TypeError(`httpGateway: two methods claim ${selector.method} ${selector.path}`);
        }
        seen.add(key);
        const own = compileHeaderMapping(this.options.methods?.[entry.name]?.headers);
        this.routes.push(compileRoute(entry, selector, [...global, ...own]));
      }
    }
  }

  async start(host: GatewayHost): Promise<void> {
    if (this.app !== undefined) throw new Error(`httpGateway '${this.name}' already started`);
    // Fails loudly on the slow JS fallback before anything listens.
    const uws = loadNativeUws();
    this.uws = uws;
    this.host = host;
    const app = uws.App();
    this.app = app;
    const explicitHead = new Set(
      this.routes.filter((r) => r.method === 'HEAD').map((r) => r.pattern.path),
    );
    for (const route of this.routes) {
      app[UWS_METHOD[route.method]](route.pattern.path, (res, req) =>
        this.onRequest(route, false, res, req),
      );
      if (route.method === 'GET' && !explicitHead.has(route.pattern.path)) {
        app.head(route.pattern.path, (res, req) => this.onRequest(route, true, res, req));
      }
    }
    if (this.healthPath !== undefined) {
      const health = (head: boolean) => (res: HttpResponse, req: HttpRequest) =>
        this.onHealth(res, req, head);
      app.get(this.healthPath, health(false)).head(this.healthPath, health(true));
    }
    if (this.openapiPath !== undefined) {
      app.get(this.openapiPath, (res, req) => this.onOpenApi(res, req));
    }
    app.options('/*', (res, req) => this.onOptions(res, req));
    app.any('/*', (res, req) => this.onUnknown(res, req));

    const port = this.options.port ?? 3000;
    const bindHost = this.options.host ?? '0.0.0.0';
    await new Promise<void>((resolve, reject) => {
      app.listen(bindHost, port, (socket) => {
        if (socket === false) {
          reject(new Error(`httpGateway '${this.name}': cannot listen on ${bindHost}:${port}`));
          return;
        }
        this.listenSocket = socket;
        this.boundPort = uws.us_socket_local_port(socket as never);
        resolve();
      });
    });
  }

  drain(): void {
    this.draining = true;
    if (this.listenSocket !== undefined) {
      this.uws?.us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
    }
  }

  async stop(options: { readonly timeout: number }): Promise<void> {
    this.drain();
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, options.timeout));
        this.idle = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.idle = undefined;
    }
    const reason = new SwitchyardError('UNAVAILABLE', 'server shutting down');
    for (const exchange of [...this.tracker.values(), ...this.streams]) exchange.cancel(reason);
    this.streams.clear();
    this.tracker.stop();
    // Let the last corked writes reach the sockets before closing them.
    await new Promise((resolve) => setImmediate(resolve));
    // close() (drop every connection) exists in v20.30 but not in its typings; older builds lack it.
    (this.app as (TemplatedApp & { close?: () => void }) | undefined)?.close?.();
    this.app = undefined;
  }

  // --- ExchangeHost (internal: called by this gateway's exchanges) ---------------

  /** @internal */
  writeCors(res: HttpResponse, origin: string): void {
    if (this.cors !== undefined && origin.length > 0) this.cors.writeHeaders(res, origin);
  }

  /** @internal */
  reportError(error: unknown): void {
    this.host?.logger.error('http gateway failure', { gateway: this.name, cause: error });
  }

  /** @internal */
  release(exchange: Exchange): void {
    this.tracker.delete(exchange);
    if (this.streams.size > 0) this.streams.delete(exchange);
    if (this.idle !== undefined && this.inFlight === 0) this.idle();
  }

  // --- request path ---------------------------------------------------------------

  private onRequest(route: CompiledRoute, head: boolean, res: HttpResponse, req: HttpRequest) {
    const origin = this.cors === undefined ? '' : req.getHeader('origin');
    try {
      this.handle(route, head, res, req, origin);
    } catch (error) {
      // Only reachable for bugs in this file; the client still gets JSON, never a stack.
      this.host?.logger.error('http gateway failure', { method: route.entry.name, cause: error });
      writeError(res, SwitchyardError.from(error), this, origin, true, head);
    }
  }

  private handle(
    route: CompiledRoute,
    head: boolean,
    res: HttpResponse,
    req: HttpRequest,
    origin: string,
  ): void {
    const host = this.host!;
    if (this.draining || host.draining) {
      writeError(res, unavailable(), this, origin, true, head);
      return;
    }
    if (this.tracker.size + this.streams.size >= this.maxInFlight) {
      writeError(res, busy(), this, origin, false, head);
      return;
    }
    // Errors before a stream's first item are JSON, whatever Accept says.
    const accept = req.getHeader('accept');
    const format: BodyFormat | undefined = route.streaming
      ? acceptsEventStream(accept)
        ? 'json'
        : undefined
      : responseFormat(accept);
    if (format === undefined) {
      // A body the request may carry is left unread: close after answering.
      const error = notAcceptable(route.streaming);
      writeError(res, error, this, origin, route.acceptsBody, head);
      return;
    }

    // Input from the path and the query string; all of `req` must be read now,
    // uWS invalidates it when this callback returns.
    let input: Record<string, unknown> | undefined;
    const names = route.pattern.paramNames;
    if (names.length > 0) {
      input = {};
      for (let i = 0; i < names.length; i++) {
        const name = names[i]!;
        input[name] = coerce(decodeParam(req.getParameter(i)), route.paramTypes[i]);
      }
    }
    const query = req.getQuery();
    if (query !== undefined && query.length > 0) {
      const fields = parseQuery(query);
      input ??= {};
      for (const key in fields) {
        if (Object.hasOwn(input, key)) continue;
        const value = fields[key]!;
        const type = route.fieldTypes.get(key);
        input[key] = Array.isArray(value)
          ? value
          : type === 'array'
            ? [value]
            : coerce(value, type);
      }
    }
    let metadata = EMPTY;
    if (route.headers.length > 0) {
      const collected: Record<string, string> = {};
      for (const [header, key] of route.headers) {
        const value = req.getHeader(header);
        if (value.length > 0) collected[key] = value;
      }
      metadata = collected;
    }

    const expiresAt = elapsedMs() + this.requestTimeout;
    if (route.acceptsBody) {
      const length = req.getHeader('content-length');
      const chunked = req.getHeader('transfer-encoding').length > 0;
      if ((length.length > 0 && length !== '0') || chunked) {
        this.startBody(route, head, res, req, origin, format, input, metadata, expiresAt, length);
        return;
      }
    }
    const exchange = new Exchange(
      this,
      res,
      route,
      format,
      origin,
      head,
      input ?? {},
      metadata,
      expiresAt,
    );
    this.dispatch(exchange, false);
  }

  private startBody(
    route: CompiledRoute,
    head: boolean,
    res: HttpResponse,
    req: HttpRequest,
    origin: string,
    format: BodyFormat,
    input: Record<string, unknown> | undefined,
    metadata: Metadata,
    expiresAt: number,
    length: string,
  ): void {
    let expected = -1;
    if (length.length > 0) {
      if (!CONTENT_LENGTH.test(length)) {
        writeError(res, badRequest('invalid content-length'), this, origin, true);
        return;
      }
      expected = Number(length);
    }
    if (expected > this.bodyLimit) {
      // Refused before a single body byte is buffered; the connection is
      // closed because the unread body would otherwise be parsed as a request.
      const error = new SwitchyardError(
        'PAYLOAD_TOO_LARGE',
        `request body exceeds ${this.bodyLimit} bytes`,
      );
      writeError(res, error, this, origin, true);
      return;
    }
    const contentType = req.getHeader('content-type');
    const bodyFormat = requestFormat(contentType);
    if (bodyFormat === undefined) {
      const error = new SwitchyardError(
        'UNSUPPORTED_MEDIA_TYPE',
        `content-type must be application/json or application/msgpack, got '${contentType.slice(0, 100)}'`,
      );
      writeError(res, error, this, origin, true);
      return;
    }
    const exchange = new Exchange(
      this,
      res,
      route,
      format,
      origin,
      head,
      input,
      metadata,
      expiresAt,
    );
    // onAborted before anything asynchronous: a disconnect mid-body lands here.
    exchange.watchAbort();
    this.tracker.add(exchange);
    exchange.onBody = (ex, body) => this.onBody(ex, body, bodyFormat);
    new BodyReader(exchange, this.bodyLimit, expected).start(res);
  }

  private onBody(exchange: Exchange, body: Buffer, format: BodyFormat): void {
    let input = exchange.input as Record<string, unknown> | undefined;
    if (body.length > 0) {
      let decoded: unknown;
      try {
        decoded = decodeBody(body, format);
      } catch (error) {
        exchange.fail(error);
        return;
      }
      if (input === undefined) {
        input = decoded as Record<string, unknown>;
      } else if (typeof decoded === 'object' && decoded !== null && !Array.isArray(decoded)) {
        // Path parameters and query fields win over body fields of the same name.
        const merged = decoded as Record<string, unknown>;
        for (const key in input) merged[key] = input[key];
        input = merged;
      } else {
        exchange.fail(badRequest('the body must be an object when the URL carries parameters'));
        return;
      }
      exchange.inputSize = body.length;
    }
    exchange.input = input ?? {};
    this.dispatch(exchange, true);
  }

  /**
   * Hands the exchange to the edge. A result that is already there (a
   * synchronous handler) is written at once, still inside the uWS route
   * callback, where uWS corks the writes itself and no onAborted is needed.
   * Only an answer that has to wait attaches onAborted, as uWS requires before
   * the callback returns; `afterBody` says it was attached when the body
   * reading began.
   */
  private dispatch(exchange: Exchange, afterBody: boolean): void {
    this.tracker.add(exchange);
    const host = this.host as SyncCapableHost;
    let result: unknown;
    try {
      // dispatchNow returns a synchronous handler's result as is: no promise,
      // no microtask, and the answer leaves in this uWS callback.
      result =
        host.dispatchNow !== undefined ? host.dispatchNow(exchange) : host.dispatch(exchange);
    } catch (error) {
      exchange.fail(error);
      return;
    }
    if (!isThenable(result)) {
      if (exchange.route.streaming) this.startStream(exchange, result);
      else exchange.succeed(result, !afterBody);
      return;
    }
    if (!afterBody) exchange.watchAbort();
    if (exchange.route.streaming) {
      result.then(
        (value) => this.startStream(exchange, value),
        (error) => exchange.fail(error),
      );
    } else {
      result.then(
        (value) => exchange.succeed(value),
        (error) => exchange.fail(error),
      );
    }
  }

  private startStream(exchange: Exchange, value: unknown): void {
    if (exchange.done) {
      // Aborted or timed out before the first byte: close the producer unread.
      closeIterator(value);
      return;
    }
    if (
      typeof value !== 'object' ||
      value === null ||
      !(Symbol.asyncIterator in value || Symbol.iterator in value)
    ) {
      exchange.fail(new SwitchyardError('INTERNAL', 'stream handler returned no iterable'));
      return;
    }
    if (exchange.head) {
      // HEAD of a stream: headers only, and the producer is closed unread.
      closeIterator(value);
      exchange.done = true;
      this.release(exchange);
      exchange.res.cork(() => {
        exchange.res.writeHeader('content-type', 'text/event-stream');
        exchange.writeCors(exchange.res, exchange.origin);
        // A stream has no length: headers only, no Content-Length.
        exchange.res.endWithoutBody();
      });
      return;
    }
    // The stream outlives the route callback when it started synchronously.
    exchange.watchAbort();
    // The response has started: no request timeout any more, but shutdown
    // still waits for (then cancels) the stream.
    exchange.done = true;
    this.tracker.delete(exchange);
    this.streams.add(exchange);
    const stream = new SseStream(
      exchange,
      value as AsyncIterable<unknown> | Iterable<unknown>,
      this.sse,
      () => this.release(exchange),
    );
    stream.start();
  }

  // --- fixed endpoints ------------------------------------------------------------

  private onHealth(res: HttpResponse, req: HttpRequest, head: boolean): void {
    const origin = this.cors === undefined ? '' : req.getHeader('origin');
    const draining = this.draining || this.host?.draining === true;
    if (draining) res.writeStatus(statusLine(503));
    res.writeHeader('content-type', 'application/json');
    this.writeCors(res, origin);
    const body = draining ? STATUS_DRAINING : STATUS_OK;
    if (head) endHead(res, body.length);
    else res.end(body);
  }

  private onOpenApi(res: HttpResponse, req: HttpRequest): void {
    const origin = this.cors === undefined ? '' : req.getHeader('origin');
    if (this.openapiBody === undefined) {
      const info = typeof this.options.openapi === 'object' ? this.options.openapi : {};
      this.openapiBody = JSON.stringify(buildOpenApi(this.routes, info));
    }
    res.writeHeader('content-type', 'application/json');
    this.writeCors(res, origin);
    res.end(this.openapiBody);
  }

  /** Methods served at a concrete path (cold path: OPTIONS and 405 only). */
  private allowedMethods(url: string): string[] {
    const methods = new Set<string>();
    for (const route of this.routes) {
      if (!matchesPath(route.pattern, url)) continue;
      methods.add(route.method);
      if (route.method === 'GET') methods.add('HEAD');
    }
    if (url === this.healthPath) methods.add('GET').add('HEAD');
    if (url === this.openapiPath) methods.add('GET');
    if (methods.size > 0) methods.add('OPTIONS');
    return [...methods];
  }

  private onOptions(res: HttpResponse, req: HttpRequest): void {
    const origin = this.cors === undefined ? '' : req.getHeader('origin');
    const url = req.getUrl();
    const methods = this.allowedMethods(url);
    if (methods.length === 0) {
      writeError(res, notFound(req.getMethod(), url), this, origin, false);
      return;
    }
    const allow = methods.join(', ');
    res.writeStatus(statusLine(204));
    res.writeHeader('allow', allow);
    const requested = req.getHeader('access-control-request-method');
    if (this.cors !== undefined && origin.length > 0 && requested.length > 0) {
      this.cors.writePreflight(res, origin, allow, req.getHeader('access-control-request-headers'));
    } else {
      this.writeCors(res, origin);
    }
    res.endWithoutBody();
  }

  private onUnknown(res: HttpResponse, req: HttpRequest): void {
    const origin = this.cors === undefined ? '' : req.getHeader('origin');
    const url = req.getUrl();
    const method = req.getMethod().toUpperCase();
    const head = method === 'HEAD';
    const allowed = this.allowedMethods(url);
    if (allowed.length === 0) {
      writeError(res, notFound(method, url), this, origin, false, head);
      return;
    }
    // A known path with a method it does not serve: 405 and the Allow list.
    const allow = allowed.join(', ');
    res.writeStatus(statusLine(405));
    res.writeHeader('allow', allow);
    const error = new SwitchyardError(
      'METHOD_NOT_ALLOWED',
      `method ${method.slice(0, 20)} not allowed on ${url.slice(0, 200)}`,
      { data: { allow: allowed } },
    );
    res.writeHeader('content-type', 'application/json');
    this.writeCors(res, origin);
    const body = errorBody(error);
    // A body the request may carry is left unread: close after answering.
    const close = !head && method !== 'GET';
    if (head) endHead(res, Buffer.byteLength(body));
    else res.end(body, close);
  }
}

/**
 * A host whose `dispatchNow` (optional in core's GatewayHost) answers a call
 * that completes synchronously with its result instead of a promise. Spelled
 * out here so this gateway also runs against hosts that predate it.
 */
type SyncCapableHost = GatewayHost & { dispatchNow?(request: DispatchRequest): unknown };

/** A promise (or any thenable) rather than a value that is already there. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Runs an unconsumed stream's `return()` so the handler's `finally` blocks run. */
function closeIterator(value: unknown): void {
  const iterator = value as { return?: () => unknown } | null;
  if (typeof iterator !== 'object' || iterator === null || typeof iterator.return !== 'function') {
    return;
  }
  try {
    Promise.resolve(iterator.return()).catch(() => {});
  } catch {
    // A throwing return() has nothing left to tell anyone.
  }
}

function busy(): SwitchyardError {
  return new SwitchyardError('UNAVAILABLE', 'server busy: too many requests in progress');
}

function unavailable(): SwitchyardError {
  return new SwitchyardError('UNAVAILABLE', 'server is shutting down');
}

function badRequest(message: string): SwitchyardError {
  return new SwitchyardError('INVALID_ARGUMENT', message);
}

function notAcceptable(streaming: boolean): SwitchyardError {
  const types = streaming ? ['text/event-stream'] : ['application/json', 'application/msgpack'];
  return new SwitchyardError(
    'NOT_ACCEPTABLE',
    `Accept admits none of the response types of this route: ${types.join(', ')}`,
    { data: { types } },
  );
}

function notFound(method: string, url: string): SwitchyardError {
  return new SwitchyardError(
    'NOT_FOUND',
    `no route for ${method.toUpperCase()} ${url.slice(0, 200)}`,
  );
}

/** Creates the REST gateway; pass it to `createEdge({ gateways: [...] })`. */
export function httpGateway(options: HttpGatewayOptions = {}): HttpGateway {
  return new HttpGateway(options);
}
