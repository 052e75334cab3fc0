import {
  type Conduit,
  type ConduitListener,
  type IncomingCall,
  type ServedConduit,
  type ServeOptions,
  type Session,
  SwitchyardError,
  serveConduit,
} from '@switchyard/stream';
import { LinkedCallSignal } from './call-signal.js';
import type { Connection } from './connection.js';
import type { DispatchRequest, Gateway, GatewayHost } from './gateway.js';
import type { MethodEntry } from './method-entry.js';

export interface StreamGatewayOptions
  extends Omit<ServeOptions, 'handler' | 'methods' | 'onSession' | 'role'> {
  /** Gateway name, unique per edge (default 'stream'). */
  name?: string;
}

export interface StreamGateway extends Gateway {
  /** Where the listener listens (for clients in tests). */
  readonly address: ConduitListener['address'];
  /** Open connections. */
  readonly size: number;
}

interface Peer {
  readonly connection: Connection;
  served: ServedConduit | undefined;
  session: Session | undefined;
  readonly topics: Set<string>;
}

/**
 * Serves the edge over any stream transport that yields conduits: TCP and
 * Unix sockets (@switchyard/tcp `listen`), QUIC, in-memory pairs. Each
 * connection speaks the binary session or NDJSON text mode (detected by the
 * first byte); both reach the same handlers. Pushes and topics go over the
 * session's push channel.
 */
export function streamGateway(
  listener: ConduitListener,
  options: StreamGatewayOptions = {},
): StreamGateway {
  if (typeof listener?.onConduit !== 'function') {
    throw new TypeError(
      'streamGateway(): expected a ConduitListener (e.g. from @switchyard/tcp listen())',
    );
  }
  return new StreamGatewayImpl(listener, options);
}

class StreamGatewayImpl implements StreamGateway {
  readonly name: string;
  private host: GatewayHost | undefined;
  private rpcNames: string[] = [];
  private readonly peers = new Set<Peer>();
  private readonly topicPeers = new Map<string, Set<Peer>>();
  private draining = false;
  private goaways: Promise<void>[] = [];
  private readonly serveOptions: Omit<StreamGatewayOptions, 'name'>;

  constructor(
    private readonly listener: ConduitListener,
    options: StreamGatewayOptions,
  ) {
    const { name, ...serveOptions } = options;
    this.name = name ?? 'stream';
    this.serveOptions = serveOptions;
  }

  get address(): ConduitListener['address'] {
    return this.listener.address;
  }

  get size(): number {
    return this.peers.size;
  }

  register(methods: readonly MethodEntry[]): void {
    // Every method has an RPC name (its canonical one at least): serve them all.
    this.rpcNames = methods.flatMap((m) => m.rpcNames);
  }

  async start(host: GatewayHost): Promise<void> {
    this.host = host;
    this.listener.onConduit((conduit) => this.accept(conduit));
  }

  private accept(conduit: Conduit): void {
    const host = this.host;
    if (host === undefined || this.draining || host.draining) {
      conduit.close();
      return;
    }
    const info = conduit.info;
    const peer: Peer = {
      connection: this.makeConnection(info, () => peer),
      served: undefined,
      session: undefined,
      topics: new Set(),
    };
    this.peers.add(peer);
    host.connectionOpened(peer.connection);
    try {
      peer.served = serveConduit(conduit, {
        maxFrameSize: host.limits.maxInputBytes + 1024,
        ...this.serveOptions,
        methods: this.rpcNames,
        handler: (call) => this.onCall(peer, call),
        onSession: (session) => {
          peer.session = session;
        },
      });
    } catch (error) {
      host.logger.warn('stream gateway: could not serve a connection', { cause: error });
      conduit.close();
      this.release(peer);
      return;
    }
    void peer.served.closed.then(() => this.release(peer));
  }

  private makeConnection(info: Conduit['info'], peer: () => Peer): Connection {
    const conn: {
      -readonly [K in keyof Connection]: Connection[K];
    } = {
      id: info.id,
      gateway: this.name,
      transport: info.transport,
      push: (topic, value) => {
        const session = peer().session;
        if (session === undefined || session.isClosed) {
          throw new SwitchyardError('UNAVAILABLE', 'connection is closed');
        }
        if (!session.push(topic, value)) {
          throw new SwitchyardError('RESOURCE_EXHAUSTED', 'push could not be queued');
        }
      },
      subscribe: (topic) => this.subscribe(peer(), topic),
      unsubscribe: (topic) => this.unsubscribe(peer(), topic),
    };
    if (info.remoteAddress !== undefined) conn.remoteAddress = info.remoteAddress;
    if (info.remotePort !== undefined) conn.remotePort = info.remotePort;
    return conn;
  }

  private onCall(peer: Peer, call: IncomingCall): unknown {
    // Text mode has no onSession: the call carries its session.
    if (peer.session === undefined) peer.session = call.session;
    const host = this.host;
    if (host === undefined) throw new SwitchyardError('UNAVAILABLE', 'gateway stopped');
    const entry = host.lookup(call.method);
    if (entry === undefined)
      throw new SwitchyardError('NOT_FOUND', `unknown method ${JSON.stringify(call.method)}`);
    const request: DispatchRequest = {
      method: entry,
      input: call.input,
      metadata: call.metadata,
      connection: peer.connection,
      deadline: call.deadline,
      // Not call.signal: reading it creates an AbortController per call (see call-signal.ts).
      signal: new LinkedCallSignal(call).asAbortSignal(),
    };
    if (call.inputStream !== undefined) request.inputStream = call.inputStream;
    const kind = call.kind;
    // A synchronous handler's reply is then written in this tick, with no promise per call.
    if (kind === entry.kind)
      return host.dispatchNow ? host.dispatchNow(request) : host.dispatch(request);
    if (kind === 'notify' && entry.kind === 'unary') {
      host.dispatch(request).catch(() => {});
      return undefined;
    }
    if (kind === 'bidi' && entry.kind === 'client-stream') {
      // Typed clients open every input stream as bidi: reply with the one result as one item.
      return singleItem(host.dispatch(request));
    }
    throw new SwitchyardError(
      'FAILED_PRECONDITION',
      `${entry.name} is a ${entry.kind} method, called as ${kind}`,
    );
  }

  private subscribe(peer: Peer, topic: string): void {
    if (typeof topic !== 'string' || topic.length === 0) {
      throw new SwitchyardError('INVALID_ARGUMENT', 'topic must be a non-empty string');
    }
    if (!this.peers.has(peer)) return;
    peer.topics.add(topic);
    let set = this.topicPeers.get(topic);
    if (!set) this.topicPeers.set(topic, (set = new Set()));
    set.add(peer);
  }

  private unsubscribe(peer: Peer, topic: string): void {
    peer.topics.delete(topic);
    const set = this.topicPeers.get(topic);
    if (!set) return;
    set.delete(peer);
    if (set.size === 0) this.topicPeers.delete(topic);
  }

  publish(topic: string, value: unknown): void {
    const set = this.topicPeers.get(topic);
    if (!set) return;
    for (const peer of set) {
      const s = peer.session;
      // A slow subscriber loses pushes (push returns false) rather than buffering without bound.
      if (s !== undefined && !s.isClosed) s.push(topic, value);
    }
  }

  private release(peer: Peer): void {
    if (!this.peers.delete(peer)) return;
    for (const t of [...peer.topics]) this.unsubscribe(peer, t);
    this.host?.connectionClosed(peer.connection);
  }

  async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    this.goaways = [...this.peers].map(
      (p) => p.served?.goaway().catch(() => {}) ?? Promise.resolve(),
    );
    await this.listener.close();
  }

  async stop(options: { readonly timeout: number }): Promise<void> {
    if (!this.draining) await this.drain();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.allSettled(this.goaways),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, options.timeout));
      }),
    ]);
    clearTimeout(timer);
    for (const peer of [...this.peers]) {
      peer.served?.close(new SwitchyardError('UNAVAILABLE', 'server shut down'));
      this.release(peer);
    }
    this.host = undefined;
  }
}

function singleItem(result: Promise<unknown>): AsyncIterable<unknown> {
  return {
    async *[Symbol.asyncIterator]() {
      yield await result;
    },
  };
}
