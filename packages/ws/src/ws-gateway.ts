import uWS from 'uWebSockets.js';
import type { Gateway, GatewayHost, MethodEntry } from '@switchyard/core';
import { type Session, SwitchyardError } from '@switchyard/stream';
import { type BinarySessionOptions, startBinarySession } from './binary-session.js';
import { CloseCode } from './close-codes.js';
import { assertNativeUws } from './native-check.js';
import { PushEncoder } from './push-encoder.js';
import { TextConnection } from './text-connection.js';
import { formatPush, GOAWAY_MESSAGE } from './text-protocol.js';
import {
  type AuthHook,
  authFailure,
  interpretAuth,
  readUpgradeRequest,
  rejectUpgrade,
} from './upgrade-auth.js';
import { UwsConduit } from './uws-conduit.js';
import { BINARY_TOPIC_PREFIX, type PeerData, TEXT_TOPIC_PREFIX, WsPeer } from './ws-peer.js';

export interface WsGatewayOptions {
  /** Gateway name (`ctx.connection.gateway`), default 'ws'. */
  name?: string;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Default 0 (any free port; read `gateway.port` after start). */
  port?: number;
  /** URL pattern of the endpoint, uWS syntax; default '/*'. */
  path?: string;
  /** Serve the JSON text mode on the same endpoint (default true). */
  text?: boolean;
  /** Largest message accepted, bytes (default 1 MiB). Larger: close 1009. */
  maxMessageSize?: number;
  /** Bytes uWS may hold per socket for a slow reader (default 1 MiB); past it the socket is closed. */
  maxBackpressure?: number;
  /** Seconds without traffic before uWS closes the socket (default 120, 0 disables). */
  idleTimeout?: number;
  /** Open connections (plus upgrades being authenticated); more get 503 (default 10 000). */
  maxConnections?: number;
  /** Calls one connection may have in flight (default 256). */
  maxInFlight?: number;
  /** Checks the upgrade request before the socket opens; false or a throw answers 401. */
  authenticate?: AuthHook;
  /** Longest the auth hook may take, ms (default 10 000); then 503. */
  authTimeout?: number;
  /** Extra stream-session options for binary mode (codec, keepalive, timeouts…). */
  session?: BinarySessionOptions;
  /** The uWebSockets.js module (default: the installed one); it must be the native build. */
  uws?: typeof uWS;
}

interface ResolvedOptions {
  host: string;
  port: number;
  path: string;
  text: boolean;
  maxMessageSize: number;
  maxBackpressure: number;
  idleTimeout: number;
  maxConnections: number;
  maxInFlight: number;
  authenticate: AuthHook | undefined;
  authTimeout: number;
  session: BinarySessionOptions;
}

function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new SwitchyardError('INVALID_ARGUMENT', `wsGateway: ${name} must be an integer ≥ ${min}`);
  }
  return value;
}

function resolve(options: WsGatewayOptions): ResolvedOptions {
  return {
    host: options.host ?? '0.0.0.0',
    port: positive('port', options.port, 0, 0),
    path: options.path ?? '/*',
    text: options.text ?? true,
    maxMessageSize: positive('maxMessageSize', options.maxMessageSize, 1024 * 1024, 1024),
    maxBackpressure: positive('maxBackpressure', options.maxBackpressure, 1024 * 1024, 1024),
    idleTimeout: positive('idleTimeout', options.idleTimeout, 120, 0),
    maxConnections: positive('maxConnections', options.maxConnections, 10_000),
    maxInFlight: positive('maxInFlight', options.maxInFlight, 256),
    authenticate: options.authenticate,
    authTimeout: positive('authTimeout', options.authTimeout, 10_000),
    session: options.session ?? {},
  };
}

export interface WsGatewayStats {
  connections: number;
  /** Upgrades waiting for the auth hook. */
  upgrading: number;
  /** Bytes uWS holds for slow readers, summed over connections. */
  bufferedBytes: number;
}

/**
 * WebSocket gateway on uWebSockets.js. Binary messages carry the stream
 * protocol (core's typed client works over `connectWs`); text messages carry
 * the JSON text mode. Topics use uWS native pub/sub.
 */
export class WsGateway implements Gateway {
  readonly name: string;
  private readonly options: ResolvedOptions;
  private readonly uws: typeof uWS;
  private app: uWS.TemplatedApp | undefined;
  private listenSocket: uWS.us_listen_socket | undefined;
  private host: GatewayHost | undefined;
  private entries = new Map<string, MethodEntry>();
  private methodNames: string[] = [];
  private readonly peers = new Set<WsPeer>();
  private upgrading = 0;
  private accepting = false;
  private boundPort = 0;
  private readonly pushEncoder: PushEncoder;

  constructor(options: WsGatewayOptions = {}) {
    this.name = options.name ?? 'ws';
    this.options = resolve(options);
    this.uws = options.uws ?? uWS;
    this.pushEncoder = new PushEncoder(this.options.session.codec, this.options.maxMessageSize);
  }

  /** The port listened on, once started. */
  get port(): number {
    return this.boundPort;
  }

  get stats(): WsGatewayStats {
    let bufferedBytes = 0;
    for (const peer of this.peers) bufferedBytes += peer.bufferedAmount;
    return { connections: this.peers.size, upgrading: this.upgrading, bufferedBytes };
  }

  register(methods: readonly MethodEntry[]): void {
    // Every method is reachable by RPC name (selectors are for REST and friends).
    for (const entry of methods) {
      for (const name of entry.rpcNames) this.entries.set(name, entry);
    }
    this.methodNames = [...this.entries.keys()];
  }

  async start(host: GatewayHost): Promise<void> {
    if (this.app !== undefined) throw new SwitchyardError('FAILED_PRECONDITION', 'already started');
    assertNativeUws(this.uws);
    this.host = host;
    const o = this.options;
    const app = this.uws.App();
    app.ws<PeerData>(o.path, {
      // uWS cuts a connection sending more than this with no close frame; we
      // allow it twice our limit so a too-big message up to there gets a
      // proper 1009 from us (memory stays bounded by this number).
      maxPayloadLength: Math.min(o.maxMessageSize * 2, 2 ** 31 - 1),
      maxBackpressure: o.maxBackpressure,
      closeOnBackpressureLimit: 0,
      idleTimeout: o.idleTimeout,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => this.open(ws),
      message: (ws, message, isBinary) => this.message(ws, message, isBinary),
      drain: (ws) => {
        const peer = ws.getUserData().peer;
        peer.conduit?.handleDrain();
        peer.wakeDrainWaiters();
      },
      close: (ws, code, message) => this.close(ws, code, message),
    });
    app.any('/*', (res) => {
      res.writeStatus('426 Upgrade Required').writeHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({ code: 'FAILED_PRECONDITION', message: 'WebSocket upgrade required' }),
      );
    });
    await new Promise<void>((done, fail) => {
      app.listen(o.host, o.port, (socket) => {
        if (socket === false) {
          fail(
            new SwitchyardError('UNAVAILABLE', `wsGateway: cannot listen on ${o.host}:${o.port}`),
          );
          return;
        }
        this.listenSocket = socket;
        this.boundPort = this.uws.us_socket_local_port(socket);
        done();
      });
    });
    this.app = app;
    this.accepting = true;
  }

  private upgrade(
    res: uWS.HttpResponse,
    req: uWS.HttpRequest,
    context: uWS.us_socket_context_t,
  ): void {
    const host = this.host;
    if (!this.accepting || host === undefined || host.draining) {
      rejectUpgrade(res, new SwitchyardError('UNAVAILABLE', 'server is shutting down'));
      return;
    }
    if (this.peers.size + this.upgrading >= this.options.maxConnections) {
      rejectUpgrade(res, new SwitchyardError('UNAVAILABLE', 'too many connections'));
      return;
    }
    const key = req.getHeader('sec-websocket-key');
    // Offer back the first subprotocol the client listed, if any: clients fail
    // the handshake when they asked for one and got none.
    const protocol = req.getHeader('sec-websocket-protocol').split(',')[0]?.trim() ?? '';
    const extensions = req.getHeader('sec-websocket-extensions');
    const remote = Buffer.from(res.getRemoteAddressAsText()).toString();
    const authenticate = this.options.authenticate;
    if (authenticate === undefined) {
      res.upgrade<PeerData>(
        { peer: new WsPeer(this.name, remote, undefined) },
        key,
        protocol,
        extensions,
        context,
      );
      return;
    }

    const request = readUpgradeRequest(req, res);
    let settled = false;
    this.upgrading++;
    // uWS rule: attach onAborted before any await.
    res.onAborted(() => {
      if (settled) return;
      settled = true;
      this.upgrading--;
    });
    const timer = setTimeout(() => {
      finish(() =>
        rejectUpgrade(res, new SwitchyardError('UNAVAILABLE', 'authentication timed out')),
      );
    }, this.options.authTimeout);
    const finish = (respond: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      this.upgrading--;
      res.cork(respond);
    };
    Promise.resolve()
      .then(() => authenticate(request))
      .then(
        (result) => {
          const verdict = interpretAuth(result);
          finish(() => {
            if (!verdict.ok) {
              rejectUpgrade(res, verdict.error);
            } else if (!this.accepting) {
              rejectUpgrade(res, new SwitchyardError('UNAVAILABLE', 'server is shutting down'));
            } else {
              res.upgrade<PeerData>(
                { peer: new WsPeer(this.name, remote, verdict.metadata) },
                key,
                protocol,
                extensions,
                context,
              );
            }
          });
        },
        (error: unknown) => finish(() => rejectUpgrade(res, authFailure(error))),
      );
  }

  private open(ws: uWS.WebSocket<PeerData>): void {
    const peer = ws.getUserData().peer;
    peer.ws = ws;
    this.peers.add(peer);
    this.host?.connectionOpened(peer);
  }

  private message(ws: uWS.WebSocket<PeerData>, message: ArrayBuffer, isBinary: boolean): void {
    const peer = ws.getUserData().peer;
    const host = this.host;
    if (host === undefined) return;
    if (message.byteLength > this.options.maxMessageSize) {
      ws.end(
        CloseCode.MESSAGE_TOO_BIG,
        `message too big (max ${this.options.maxMessageSize} bytes)`,
      );
      return;
    }
    if (isBinary) {
      if (peer.mode === 'pending') this.startBinary(peer, ws, host);
      if (peer.mode !== 'binary') {
        ws.end(CloseCode.UNSUPPORTED_DATA, 'binary message on a text-mode connection');
        return;
      }
      peer.conduit?.handleMessage(message);
      return;
    }
    if (peer.mode === 'pending') {
      if (!this.options.text) {
        ws.end(CloseCode.UNSUPPORTED_DATA, 'text mode is disabled on this endpoint');
        return;
      }
      peer.mode = 'text';
      peer.text = new TextConnection(host, peer, peer, {
        maxInFlight: this.options.maxInFlight,
        highWaterMark: Math.max(1024, this.options.maxBackpressure >> 1),
        metadata: peer.authMetadata,
      });
    }
    if (peer.mode !== 'text') {
      ws.end(CloseCode.UNSUPPORTED_DATA, 'text message on a binary-mode connection');
      return;
    }
    peer.text?.handle(Buffer.from(message).toString('utf8'));
  }

  private startBinary(peer: WsPeer, ws: uWS.WebSocket<PeerData>, host: GatewayHost): void {
    peer.mode = 'binary';
    const o = this.options;
    const conduit = new UwsConduit(
      ws,
      { id: peer.id, transport: 'ws', remoteAddress: peer.remoteAddress },
      {
        drainBelow: Math.max(1024, o.maxBackpressure >> 1),
        // Messages that arrive while the session paused reading: a few messages' worth.
        maxInboxBytes: o.maxMessageSize * 4,
      },
    );
    peer.conduit = conduit;
    const session: Session = startBinarySession(
      host,
      peer,
      conduit,
      this.entries,
      this.methodNames,
      {
        maxFrameSize: o.maxMessageSize,
        window: o.maxInFlight,
        // Stop reading from a peer once this much output waits behind uWS's own buffer.
        maxWriteBuffer: o.maxBackpressure,
        ...o.session,
      },
    );
    peer.session = session;
  }

  private close(ws: uWS.WebSocket<PeerData>, code: number, message: ArrayBuffer): void {
    const peer = ws.getUserData().peer;
    peer.ws = undefined;
    this.peers.delete(peer);
    const reason = Buffer.from(message).toString('utf8');
    peer.conduit?.handleClose(code, reason);
    peer.text?.close();
    peer.wakeDrainWaiters();
    const clean = code === CloseCode.NORMAL || code === CloseCode.GOING_AWAY || code === 1005;
    if (clean) this.host?.connectionClosed(peer);
    else
      this.host?.connectionClosed(
        peer,
        new SwitchyardError(
          'UNAVAILABLE',
          `WebSocket closed with ${code}${reason ? `: ${reason}` : ''}`,
        ),
      );
  }

  /** Delivers a published value to this gateway's subscribers through uWS pub/sub. */
  publish(topic: string, value: unknown): void {
    const app = this.app;
    if (app === undefined) return;
    const textTopic = TEXT_TOPIC_PREFIX + topic;
    if (app.numSubscribers(textTopic) > 0) {
      const text = formatPush(topic, value);
      if (typeof text === 'string') app.publish(textTopic, text, false);
    }
    const binaryTopic = BINARY_TOPIC_PREFIX + topic;
    if (app.numSubscribers(binaryTopic) > 0) {
      // One encoding for every subscriber; uWS skips sockets over maxBackpressure
      // (a whole message, so the byte stream stays frame-aligned).
      app.publish(binaryTopic, this.pushEncoder.encode(topic, value), true);
    }
  }

  /** Stops accepting connections; binary sessions get GOAWAY so clients move on. */
  drain(): void {
    this.accepting = false;
    if (this.listenSocket !== undefined) {
      this.uws.us_listen_socket_close(this.listenSocket);
      this.listenSocket = undefined;
    }
    for (const peer of this.peers) {
      if (peer.mode === 'binary') void peer.session?.goaway();
      else if (peer.mode === 'text') peer.sendText(GOAWAY_MESSAGE);
    }
  }

  async stop(options: { readonly timeout: number }): Promise<void> {
    this.drain();
    const deadline = Date.now() + Math.max(0, options.timeout);
    // Let binary sessions finish their GOAWAY; then close whatever is left.
    while (this.peers.size > 0 && Date.now() < deadline) {
      let busy = false;
      for (const peer of this.peers) {
        if (peer.mode === 'binary' && peer.session !== undefined && !peer.session.isClosed)
          busy = true;
        if (peer.text !== undefined && peer.text.inFlight > 0) busy = true;
      }
      if (!busy) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const peer of [...this.peers]) {
      peer.ws?.end(CloseCode.GOING_AWAY, 'server shutting down');
    }
    this.app = undefined;
  }
}

/** Creates a WebSocket gateway; add it to an edge like any other gateway. */
export function wsGateway(options: WsGatewayOptions = {}): WsGateway {
  return new WsGateway(options);
}
