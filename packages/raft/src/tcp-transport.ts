import {
  type IncomingCall,
  isMaybeExecuted,
  type Session,
  SwitchyardError,
} from '@switchyard/stream';
import { connectSession, listen, type TcpListener } from '@switchyard/tcp';
import type { ForwardReply, Transport, TransportHandler } from './transport.js';
import type { Entry, Message, MessageType, NodeId } from './types.js';

export interface TcpTransportOptions {
  readonly id: NodeId;
  /** Where this node listens for its peers, e.g. `{ host: '127.0.0.1', port: 7001 }`. */
  readonly listen: { readonly host?: string; readonly port: number };
  /** Peer id → "host:port". More can be learned later from membership changes. */
  readonly peers: Readonly<Record<NodeId, string>>;
  /** Bytes per InstallSnapshot chunk. Default 256 KiB. */
  readonly snapshotChunkBytes?: number;
  /** Largest snapshot accepted from a peer. Default 1 GiB. */
  readonly maxSnapshotBytes?: number;
  /** Largest frame, bytes (bounds one batch of messages). Default 16 MiB. */
  readonly maxFrameSize?: number;
  /** Messages buffered per peer while (re)connecting; older ones are dropped. Default 4096. */
  readonly maxQueued?: number;
}

const TYPES: ReadonlySet<MessageType> = new Set<MessageType>([
  'app',
  'appResp',
  'vote',
  'voteResp',
  'preVote',
  'preVoteResp',
  'heartbeat',
  'heartbeatResp',
  'snap',
  'timeoutNow',
  'readIndex',
  'readIndexResp',
  'prop',
  'transferLeader',
]);

/** Wire form: a positional array, several times smaller and faster than keyed objects. */
type WireEntry = [number, number, 0 | 1, Uint8Array];
type WireMessage = [
  MessageType,
  NodeId,
  NodeId,
  number,
  number,
  number,
  number,
  WireEntry[],
  boolean,
  number,
  string,
  unknown,
];

function toWire(m: Message): WireMessage {
  return [
    m.type,
    m.from,
    m.to,
    m.term,
    m.logTerm,
    m.index,
    m.commit,
    m.entries.map((e) => [e.index, e.term, e.kind === 'config' ? 1 : 0, e.data]),
    m.reject,
    m.rejectHint,
    m.context,
    m.snapshot,
  ];
}

const isNum = (x: unknown): x is number =>
  typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Validates a peer's message; malformed input is dropped, never trusted. */
export function fromWire(w: unknown): Message | null {
  if (!Array.isArray(w) || w.length !== 12) return null;
  const [type, from, to, term, logTerm, index, commit, ents, reject, hint, context, snapshot] =
    w as unknown[];
  if (!TYPES.has(type as MessageType) || typeof from !== 'string' || typeof to !== 'string')
    return null;
  if (!isNum(term) || !isNum(logTerm) || !isNum(index) || !isNum(commit) || !isNum(hint))
    return null;
  if (typeof reject !== 'boolean' || typeof context !== 'string' || !Array.isArray(ents))
    return null;
  const entries: Entry[] = [];
  for (const e of ents as unknown[]) {
    if (!Array.isArray(e) || !isNum(e[0]) || !isNum(e[1]) || !(e[3] instanceof Uint8Array))
      return null;
    entries.push({ index: e[0], term: e[1], kind: e[2] === 1 ? 'config' : 'normal', data: e[3] });
  }
  if (
    snapshot !== null &&
    (typeof snapshot !== 'object' || !isNum((snapshot as { index?: unknown }).index))
  )
    return null;
  return {
    type: type as MessageType,
    from,
    to,
    term,
    logTerm,
    index,
    commit,
    entries,
    reject,
    rejectHint: hint,
    context,
    snapshot: snapshot as Message['snapshot'],
  };
}

function parseAddress(a: string): { host: string; port: number } {
  const at = a.lastIndexOf(':');
  const port = Number(a.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535)
    throw new RangeError(`bad address ${a}`);
  return { host: a.slice(0, at), port };
}

interface Peer {
  address: string;
  session: Session | null;
  connecting: boolean;
  queue: WireMessage[];
  backoff: number;
  retryAt: number;
}

interface Assembly {
  from: NodeId;
  key: string;
  buf: Uint8Array;
  received: number;
}

/**
 * Raft over @switchyard/stream sessions on TCP. Each node listens for its
 * peers and dials each peer once; messages of one Ready go to a peer as one
 * `raft.msgs` notify (one frame, one write). Snapshots stream as sequential
 * `raft.snap` calls of bounded chunks, reassembled with a size cap. While a
 * peer is unreachable its newest messages wait in a small bounded queue and
 * the connection is retried with backoff; Raft re-sends what matters.
 */
export class TcpTransport implements Transport {
  private readonly peers = new Map<NodeId, Peer>();
  private listener: TcpListener | null = null;
  private handler: TransportHandler | null = null;
  private readonly assemblies = new Map<NodeId, Assembly>();
  private closed = false;
  private readonly chunk: number;
  private readonly maxSnapshot: number;
  private readonly maxQueued: number;

  constructor(private readonly opts: TcpTransportOptions) {
    this.chunk = opts.snapshotChunkBytes ?? 256 << 10;
    this.maxSnapshot = opts.maxSnapshotBytes ?? 1 << 30;
    this.maxQueued = opts.maxQueued ?? 4096;
    for (const [id, address] of Object.entries(opts.peers))
      if (id !== opts.id) this.addPeer(id, address);
  }

  /** The port actually bound (useful with port 0). */
  get port(): number {
    return this.listener?.address.port ?? 0;
  }

  async start(handler: TransportHandler): Promise<void> {
    this.handler = handler;
    this.listener = await listen(
      { host: this.opts.listen.host ?? '127.0.0.1', port: this.opts.listen.port },
      {
        idleTimeout: 0,
        serve: {
          methods: ['raft.msgs', 'raft.snap', 'raft.propose'],
          maxFrameSize: this.opts.maxFrameSize ?? 16 << 20,
          handler: (call) => this.onCall(call),
        },
      },
    );
  }

  addPeer(id: NodeId, address: string): void {
    if (id === this.opts.id) return;
    const existing = this.peers.get(id);
    if (existing && existing.address === address) return;
    existing?.session?.close();
    parseAddress(address);
    this.peers.set(id, {
      address,
      session: null,
      connecting: false,
      queue: [],
      backoff: 50,
      retryAt: 0,
    });
  }

  removePeer(id: NodeId): void {
    this.peers.get(id)?.session?.close();
    this.peers.delete(id);
  }

  send(messages: readonly Message[]): void {
    const byPeer = new Map<NodeId, WireMessage[]>();
    for (const m of messages) {
      let list = byPeer.get(m.to);
      if (!list) byPeer.set(m.to, (list = []));
      list.push(toWire(m));
    }
    for (const [to, batch] of byPeer) {
      const peer = this.peers.get(to);
      if (!peer) continue;
      const s = peer.session;
      if (s && !s.isClosed && !s.draining) {
        s.notify('raft.msgs', batch);
      } else {
        peer.queue.push(...batch);
        if (peer.queue.length > this.maxQueued)
          peer.queue.splice(0, peer.queue.length - this.maxQueued);
        this.dial(to, peer);
      }
    }
  }

  sendSnapshot(m: Message, data: Uint8Array, done: (ok: boolean) => void): void {
    const peer = this.peers.get(m.to);
    if (!peer) {
      done(false);
      return;
    }
    void (async () => {
      const s = peer.session;
      if (!s || s.isClosed) {
        this.dial(m.to, peer);
        return false;
      }
      const total = data.byteLength;
      for (let off = 0; off === 0 || off < total; off += this.chunk) {
        const last = off + this.chunk >= total;
        await s.call(
          'raft.snap',
          {
            from: this.opts.id,
            key: `${m.snapshot?.index}/${m.snapshot?.term}`,
            offset: off,
            total,
            chunk: data.subarray(off, Math.min(total, off + this.chunk)),
            message: last ? toWire(m) : null,
          },
          { timeout: 30_000 },
        );
      }
      return true;
    })().then(done, () => done(false));
  }

  private onCall(call: IncomingCall): unknown {
    const h = this.handler;
    if (!h || this.closed) throw new SwitchyardError('UNAVAILABLE', 'transport closed');
    if (call.method === 'raft.msgs') {
      if (!Array.isArray(call.input)) return undefined;
      for (const w of call.input as unknown[]) {
        const m = fromWire(w);
        if (m && m.to === this.opts.id) h.message(m);
      }
      return undefined;
    }
    if (call.method === 'raft.snap') return this.onSnapshotChunk(call.input);
    if (call.method === 'raft.propose') return this.onForwarded(call.input);
    throw new SwitchyardError('UNIMPLEMENTED', `unknown method ${call.method}`);
  }

  /**
   * Sends a proposal to the leader as one `raft.propose` call on the existing
   * session. Without a live session it dials and refuses at once (`sent:
   * false`: the caller may retry); a failure after the request left is
   * `sent: true` (the leader may have appended it).
   */
  async forward(to: NodeId, data: Uint8Array, timeoutMs: number): Promise<ForwardReply> {
    const peer = this.peers.get(to);
    const s = peer?.session;
    if (!peer || !s || s.isClosed || s.draining) {
      if (peer) this.dial(to, peer);
      throw new SwitchyardError('UNAVAILABLE', `no connection to ${to}`, { data: { sent: false } });
    }
    try {
      return await s.call<ForwardReply>(
        'raft.propose',
        { from: this.opts.id, data, timeout: timeoutMs },
        { timeout: timeoutMs },
      );
    } catch (err) {
      const e = SwitchyardError.from(err);
      // A refusal by the peer's session (unknown method, malformed input)
      // or a call that never left ran nothing; a timeout or a connection
      // lost mid-call may have.
      const sent = isMaybeExecuted(err) || e.code === 'DEADLINE_EXCEEDED';
      throw new SwitchyardError(e.code, e.message, { data: { sent }, cause: err });
    }
  }

  private async onForwarded(input: unknown): Promise<ForwardReply> {
    const c = input as { from?: unknown; data?: unknown; timeout?: unknown };
    if (typeof c.from !== 'string' || !(c.data instanceof Uint8Array) || !isNum(c.timeout)) {
      throw new SwitchyardError('INVALID_ARGUMENT', 'malformed forwarded proposal');
    }
    const propose = this.handler?.propose;
    if (!propose) throw new SwitchyardError('UNIMPLEMENTED', 'forwarding not supported');
    // Copied: the decoded bytes may be a view of the receive buffer, and the entry outlives it.
    return propose(c.from, c.data.slice(), c.timeout);
  }

  private onSnapshotChunk(input: unknown): boolean {
    const c = input as {
      from?: unknown;
      key?: unknown;
      offset?: unknown;
      total?: unknown;
      chunk?: unknown;
      message?: unknown;
    };
    if (
      typeof c.from !== 'string' ||
      typeof c.key !== 'string' ||
      !isNum(c.offset) ||
      !isNum(c.total) ||
      !(c.chunk instanceof Uint8Array)
    ) {
      throw new SwitchyardError('INVALID_ARGUMENT', 'malformed snapshot chunk');
    }
    if (c.total > this.maxSnapshot)
      throw new SwitchyardError('PAYLOAD_TOO_LARGE', 'snapshot too large');
    let a = this.assemblies.get(c.from);
    if (c.offset === 0 || !a || a.key !== c.key) {
      if (c.offset !== 0)
        throw new SwitchyardError('FAILED_PRECONDITION', 'snapshot chunk out of order');
      // One assembly per sender: a new snapshot replaces an unfinished one.
      a = { from: c.from, key: c.key, buf: new Uint8Array(c.total), received: 0 };
      this.assemblies.set(c.from, a);
    }
    if (c.offset !== a.received || c.offset + c.chunk.byteLength > a.buf.byteLength) {
      this.assemblies.delete(c.from);
      throw new SwitchyardError('FAILED_PRECONDITION', 'snapshot chunk out of order');
    }
    a.buf.set(c.chunk, c.offset);
    a.received += c.chunk.byteLength;
    if (c.message !== null && c.message !== undefined) {
      this.assemblies.delete(c.from);
      const m = fromWire(c.message);
      if (m?.type !== 'snap' || a.received !== a.buf.byteLength) {
        throw new SwitchyardError('INVALID_ARGUMENT', 'incomplete snapshot');
      }
      this.handler?.snapshot(m, a.buf);
    }
    return true;
  }

  private dial(id: NodeId, peer: Peer): void {
    if (peer.connecting || this.closed || Date.now() < peer.retryAt) return;
    peer.connecting = true;
    connectSession(parseAddress(peer.address), {
      connectTimeout: 1000,
      keepalive: { interval: 1000, timeout: 3000 },
      maxFrameSize: this.opts.maxFrameSize ?? 16 << 20,
    }).then(
      (s) => {
        peer.connecting = false;
        if (this.closed || this.peers.get(id) !== peer) {
          s.close();
          return;
        }
        peer.session = s;
        peer.backoff = 50;
        void s.closed.then(() => {
          if (peer.session === s) peer.session = null;
        });
        if (peer.queue.length > 0) s.notify('raft.msgs', peer.queue.splice(0));
      },
      () => {
        peer.connecting = false;
        peer.retryAt = Date.now() + peer.backoff;
        peer.backoff = Math.min(peer.backoff * 2, 1000);
      },
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.peers.values()) p.session?.close();
    if (this.listener) {
      this.listener.destroyConnections();
      await this.listener.close();
    }
  }
}

export function createTcpTransport(options: TcpTransportOptions): TcpTransport {
  return new TcpTransport(options);
}
