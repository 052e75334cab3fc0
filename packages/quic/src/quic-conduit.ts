import {
  type Conduit,
  type ConduitEvents,
  type ConnectionInfo,
  FLAG_CALLEE,
  FrameType,
  HEADER_SIZE,
  Kind,
  MAGIC,
  PROTOCOL_VERSION,
  SwitchyardError,
} from '@switchyard/stream';
import { endsCallFromCallee, routeOutgoing } from './frame-route.js';
import { FrameSplitter, frameHead } from './frame-splitter.js';
import type { QuicConnectionLike, QuicStreamLike } from './quic-types.js';

export interface QuicConduitOptions {
  role: 'client' | 'server';
  /** Largest frame accepted from one QUIC stream before it is declared broken (bytes). */
  maxFrameSize: number;
  /** How long a new call may wait for stream credit from the peer (ms). */
  streamWaitTimeout: number;
  /** Calls that may wait for stream credit at once; more fail at once with RESOURCE_EXHAUSTED. */
  maxWaitingStreams: number;
  /** Bytes handed to QUIC and not yet accepted by it, above which `write()` returns false. */
  highWaterMark: number;
  /**
   * true (default): each call this side starts gets its own QUIC stream.
   * false: this side sends all its frames on the control stream (one ordered
   * byte stream, like TCP: lower latency with @matrixai/quic, but head-of-line
   * blocking). Either way the peer's choice is honoured for its own calls.
   */
  streamPerCall?: boolean;
  /** Runs once after the connection closed (e.g. to release the client's UDP socket). */
  onClosed?: () => void;
}

/** One QUIC stream used by the mapping: the control stream or one call's stream. */
interface Lane {
  stream: QuicStreamLike | undefined;
  writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  /** Frames written before the stream was opened (waiting for credit). */
  queued: Uint8Array[];
  /** Our write side is finished: close it once the queue is flushed. */
  ending: boolean;
  /** The call no longer wants a stream (cancelled while waiting for credit). */
  abandoned: boolean;
  tail: Promise<unknown>;
}

interface Waiter {
  lane: Lane;
  seq: number;
  deadline: number;
}

const POLL_MS = 5;
let nextId = 0;

function newLane(): Lane {
  return {
    stream: undefined,
    writer: undefined,
    queued: [],
    ending: false,
    abandoned: false,
    tail: Promise.resolve(),
  };
}

/**
 * A Conduit over one QUIC connection that maps the stream protocol onto QUIC
 * streams (PROTOCOL-QUIC.md): one control stream (the client's first
 * bidirectional stream) for HELLO, PING/PONG, GOAWAY, PUSH and notifications,
 * and one bidirectional QUIC stream per call carrying that call's frames, so
 * a lost packet or a slow reader on one call does not stall the others in
 * the transport. The session above sees one ordinary conduit: frames from all
 * QUIC streams are handed to it whole, and the frames it writes are routed by
 * their header (type, CALLEE flag, seq).
 *
 * Opening a QUIC stream needs stream credit from the peer; past it
 * @matrixai/quic throws (and then refuses every later stream), so new calls
 * wait here — in a bounded queue, each with a deadline — until the peer's
 * MAX_STREAMS grants more.
 */
export class QuicConduit implements Conduit {
  readonly info: ConnectionInfo;
  private events: ConduitEvents | undefined;
  private readonly control: Lane = newLane();
  private readonly own = new Map<number, Lane>();
  private readonly peer = new Map<number, Lane>();
  private readonly lanes = new Set<Lane>();
  private readonly early: QuicStreamLike[] = [];
  private readonly waiters: Waiter[] = [];
  private pollTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly out: FrameSplitter;
  private pending = 0;
  /** Bytes of incomplete frames held across all streams (bounded: 4 × maxFrameSize). */
  private partialBytes = 0;
  private wantDrain = false;
  private paused = false;
  private resumeGate: (() => void) | undefined;
  private resumed: Promise<void> = Promise.resolve();
  private isClosed = false;
  private closeEmitted = false;
  private lastError: Error | undefined;
  private controlSeen = false;
  private textMode = false;

  constructor(
    private readonly conn: QuicConnectionLike,
    private readonly options: QuicConduitOptions,
  ) {
    this.info = {
      id: `quic-${++nextId}`,
      transport: 'quic',
      remoteAddress: conn.remoteHost,
      remotePort: conn.remotePort,
    };
    // Our own session never writes a frame it could not decode itself: a failure
    // here is a bug, reported by closing rather than by sending garbage.
    this.out = new FrameSplitter(
      Number.MAX_SAFE_INTEGER,
      (frame) => this.route(frame),
      () => this.close(new SwitchyardError('INTERNAL', 'quic: session wrote a malformed frame')),
    );
    conn.addEventListener('EventQUICConnectionStream', (evt) => {
      const stream = (evt as CustomEvent<QuicStreamLike>).detail;
      if (this.events) this.acceptStream(stream);
      else this.early.push(stream);
    });
    conn.addEventListener('EventQUICConnectionError', (evt) => {
      const detail = (evt as CustomEvent<unknown>).detail;
      if (detail instanceof Error) this.lastError = detail;
    });
    void conn.closedP.then(
      () => this.onConnectionClosed(),
      () => this.onConnectionClosed(),
    );
    if (options.role === 'client') {
      // Stream 0, the client's first bidirectional stream, is the control stream.
      this.openLane(this.control);
      this.controlSeen = true;
    }
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Calls waiting for stream credit (for tests and metrics). */
  get waitingForStreams(): number {
    return this.waiters.length;
  }

  /** QUIC streams open for calls. */
  get callStreams(): number {
    return this.own.size + this.peer.size;
  }

  attach(events: ConduitEvents): void {
    if (this.events) throw new SwitchyardError('FAILED_PRECONDITION', 'conduit already attached');
    this.events = events;
    if (this.control.stream) this.readLane(this.control, 'control');
    for (const s of this.early.splice(0)) this.acceptStream(s);
  }

  write(chunk: Uint8Array): boolean {
    if (this.isClosed) return false;
    // Text mode (or a reject reply) is not framed: it goes back raw on the control stream.
    if (this.textMode) this.send(this.control, chunk.slice());
    else this.out.push(chunk);
    if (this.pending > this.options.highWaterMark) {
      this.wantDrain = true;
      return false;
    }
    return true;
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.resumed = new Promise((r) => {
      this.resumeGate = r;
    });
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumeGate?.();
    this.resumeGate = undefined;
  }

  close(error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (error) this.lastError = error;
    this.stopPolling();
    for (const w of this.waiters.splice(0)) w.lane.abandoned = true;
    void this.shutdown(error);
  }

  private async shutdown(error?: Error): Promise<void> {
    if (!error) {
      // Graceful: let what the session already wrote (e.g. GOAWAY) reach QUIC first, bounded.
      const tails = [...this.lanes].map((l) => l.tail);
      await Promise.race([
        Promise.allSettled(tails),
        new Promise((r) => setTimeout(r, 2000).unref?.()),
      ]);
    }
    try {
      await this.conn.stop({ isApp: true, errorCode: error ? 1 : 0, force: true });
    } catch {
      // already stopping or stopped
    }
    this.onConnectionClosed();
  }

  private onConnectionClosed(): void {
    this.isClosed = true;
    this.stopPolling();
    this.resume();
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    for (const w of this.waiters.splice(0)) w.lane.abandoned = true;
    const err =
      this.lastError && !(this.lastError instanceof SwitchyardError)
        ? new SwitchyardError('UNAVAILABLE', `quic connection closed: ${this.lastError.message}`, {
            cause: this.lastError,
          })
        : this.lastError;
    try {
      this.events?.close(err);
    } finally {
      try {
        this.options.onClosed?.();
      } catch {
        // cleanup hooks must not throw into QUIC's event loop
      }
    }
  }

  // ---- outgoing -------------------------------------------------------------

  private route(frame: Uint8Array): void {
    const h = frameHead(frame);
    const where = routeOutgoing(h);
    if (where === 'control') {
      this.send(this.control, frame);
      return;
    }
    if (where === 'own') {
      if (h.type === FrameType.REQUEST && this.options.streamPerCall === false) {
        this.own.set(h.seq, this.control);
        this.send(this.control, frame);
        return;
      }
      if (h.type === FrameType.REQUEST) {
        const lane = newLane();
        this.own.set(h.seq, lane);
        this.send(lane, frame);
        const kind = h.flags & 0x07;
        if (kind === Kind.UNARY || kind === Kind.SERVER_STREAM) {
          // The caller sends nothing more on these calls but a possible CANCEL (which
          // then goes on the control stream): half-close at once so that the stream
          // completes, and its credit returns, as soon as the answer is read.
          this.halfClose(lane);
        }
        this.admit(lane, h.seq);
        return;
      }
      const lane = this.own.get(h.seq);
      if (!lane) return; // late frame for a finished call: the peer would drop it (§4.4)
      if (h.type === FrameType.CANCEL) {
        this.own.delete(h.seq);
        if (lane !== this.control && !lane.stream) {
          // Still waiting for credit: the REQUEST never left, so nothing to cancel remotely.
          lane.abandoned = true;
          this.dropQueued(lane);
          return;
        }
        if (lane.ending && lane !== this.control) {
          this.send(this.control, frame);
          return;
        }
        this.send(lane, frame);
        this.finish(lane);
        return;
      }
      this.send(lane, frame);
      return;
    }
    const lane = this.peer.get(h.seq);
    if (!lane) return;
    this.send(lane, frame);
    if (endsCallFromCallee(h)) {
      this.peer.delete(h.seq);
      this.finish(lane);
    }
  }

  private send(lane: Lane, frame: Uint8Array): void {
    if (lane.abandoned) return;
    if (!lane.writer) {
      lane.queued.push(frame);
      this.pending += frame.length;
      return;
    }
    this.pending += frame.length;
    this.push(lane, frame);
  }

  /** Writes one frame already counted in `pending`. */
  private push(lane: Lane, frame: Uint8Array): void {
    const writer = lane.writer!;
    const done = (): void => this.settled(frame.length);
    lane.tail = writer.write(frame).then(done, done);
  }

  private settled(bytes: number): void {
    this.pending -= bytes;
    if (this.wantDrain && this.pending <= this.options.highWaterMark / 2 && !this.isClosed) {
      this.wantDrain = false;
      this.events?.drain();
    }
  }

  /** Our side of this lane's call is over: close its write side once flushed. */
  private finish(lane: Lane): void {
    if (lane === this.control) return; // shared by every call sent on it
    lane.ending = true;
    if (!lane.writer) {
      if (!lane.stream) {
        // Still waiting for credit: it never needs a stream now.
        lane.abandoned = true;
        this.dropQueued(lane);
      }
      return;
    }
    const writer = lane.writer;
    lane.tail = lane.tail.then(() => writer.close()).catch(() => {});
  }

  /** Ends our write side without abandoning the lane (it may still wait for credit). */
  private halfClose(lane: Lane): void {
    lane.ending = true;
    if (!lane.writer) return; // bind() closes it after flushing the queue
    const writer = lane.writer;
    lane.tail = lane.tail.then(() => writer.close()).catch(() => {});
  }

  private dropQueued(lane: Lane): void {
    for (const f of lane.queued) this.pending -= f.length;
    lane.queued.length = 0;
    this.settled(0);
  }

  // ---- admission ------------------------------------------------------------

  private credit(): number {
    const fn = this.conn.conn?.peerStreamsLeftBidi;
    if (typeof fn !== 'function') return Number.POSITIVE_INFINITY;
    try {
      return fn.call(this.conn.conn);
    } catch {
      return 0;
    }
  }

  private admit(lane: Lane, seq: number): void {
    if (this.waiters.length === 0 && this.credit() > 0) {
      this.openLane(lane, seq);
      return;
    }
    if (this.waiters.length >= this.options.maxWaitingStreams) {
      this.refuse(
        lane,
        seq,
        `quic: ${this.waiters.length} calls already wait for stream credit from the peer`,
      );
      return;
    }
    this.waiters.push({ lane, seq, deadline: performance.now() + this.options.streamWaitTimeout });
    this.schedulePoll();
  }

  private schedulePoll(): void {
    if (this.pollTimer || this.isClosed) return;
    // Polling, bounded by the waiters' deadlines: @matrixai/quic emits no event when
    // the peer's MAX_STREAMS raises our credit.
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.pollWaiters();
    }, POLL_MS);
  }

  private stopPolling(): void {
    if (this.pollTimer) clearTimeout(this.pollTimer);
    this.pollTimer = undefined;
  }

  private pollWaiters(): void {
    const now = performance.now();
    while (this.waiters.length > 0) {
      const w = this.waiters[0]!;
      if (w.lane.abandoned) {
        this.waiters.shift();
        continue;
      }
      if (this.credit() > 0) {
        this.waiters.shift();
        this.openLane(w.lane, w.seq);
        continue;
      }
      break;
    }
    // Expire from anywhere in the queue: deadlines are not ordered if the timeout changes.
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.deadline <= now) {
        this.waiters.splice(i, 1);
        this.refuse(
          w.lane,
          w.seq,
          `quic: no stream credit from the peer within ${this.options.streamWaitTimeout} ms`,
        );
      }
    }
    if (this.waiters.length > 0) this.schedulePoll();
  }

  /** Fails a call that could not get a QUIC stream, as if the peer had answered RESOURCE_EXHAUSTED. */
  private refuse(lane: Lane, seq: number, message: string): void {
    lane.abandoned = true;
    this.dropQueued(lane);
    if (this.own.get(seq) === lane) this.own.delete(seq);
    this.events?.data(errorFrame(seq, 'RESOURCE_EXHAUSTED', message));
  }

  private openLane(lane: Lane, seq?: number): void {
    let stream: QuicStreamLike;
    try {
      stream = this.conn.newStream('bidi');
    } catch (error) {
      if (seq === undefined) {
        this.close(error instanceof Error ? error : new Error(String(error)));
      } else {
        this.refuse(
          lane,
          seq,
          `quic: cannot open a stream: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      return;
    }
    this.bind(lane, stream);
    if (this.events && lane !== this.control) this.readLane(lane, 'own');
  }

  private bind(lane: Lane, stream: QuicStreamLike): void {
    lane.stream = stream;
    lane.writer = stream.writable.getWriter();
    this.lanes.add(lane);
    for (const f of lane.queued.splice(0)) this.push(lane, f);
    if (lane.ending) this.finish(lane);
  }

  // ---- incoming -------------------------------------------------------------

  private acceptStream(stream: QuicStreamLike): void {
    if (this.isClosed) {
      stream.cancel();
      return;
    }
    if (this.options.role === 'server' && !this.controlSeen) {
      // The client's first bidirectional stream (id 0) is the control stream.
      if (stream.streamId === 0) {
        this.controlSeen = true;
        this.bind(this.control, stream);
        this.readLane(this.control, 'control');
        return;
      }
    }
    if (this.textMode) {
      stream.cancel();
      return;
    }
    const lane = newLane();
    lane.stream = stream;
    this.readLane(lane, 'peer');
  }

  private readLane(lane: Lane, kind: 'control' | 'own' | 'peer'): void {
    const stream = lane.stream!;
    let first = true;
    let raw = false;
    const deliver = (bytes: Uint8Array): void => {
      if (!this.closeEmitted) this.events?.data(bytes);
    };
    const splitter = new FrameSplitter(
      this.options.maxFrameSize,
      (frame) => {
        const h = frameHead(frame);
        if (kind === 'peer' && first) {
          first = false;
          if (h.type === FrameType.REQUEST && h.seq !== 0 && !this.peer.has(h.seq)) {
            // The call's answers go back on the stream its REQUEST came on.
            lane.writer = stream.writable.getWriter();
            this.lanes.add(lane);
            this.peer.set(h.seq, lane);
          }
        }
        first = false;
        if (kind === 'control' && h.type === FrameType.REQUEST && h.seq !== 0) {
          // A peer that sends its calls on the control stream gets its answers there too.
          this.peer.set(h.seq, this.control);
        }
        if (endsCallFromCallee(h) && this.own.get(h.seq) === lane) {
          this.own.delete(h.seq);
          this.finish(lane);
        }
        deliver(frame);
        if (h.type === FrameType.CANCEL) {
          // CANCEL may come on the call's stream or, for half-closed calls, on control.
          const target = this.peer.get(h.seq);
          if (target) {
            this.peer.delete(h.seq);
            this.finish(target);
          }
        }
      },
      (bytes) => {
        // Not our framing. On a fresh control stream this may be NDJSON text mode:
        // pass the bytes through untouched. Anywhere else the session's decoder
        // gets them and answers with its protocol error (GOAWAY and close).
        if (kind === 'control' && first) this.textMode = true;
        raw = kind === 'control';
        deliver(bytes);
      },
    );
    void (async () => {
      const reader = stream.readable.getReader();
      try {
        for (;;) {
          if (this.paused) await this.resumed;
          if (this.closeEmitted) break;
          const { done, value } = await reader.read();
          if (done) break;
          if (raw) deliver(value);
          else if (splitter.broken) break;
          else {
            const before = splitter.buffered;
            splitter.push(value);
            this.partialBytes += splitter.buffered - before;
            if (this.partialBytes > this.options.maxFrameSize * 4) {
              // Each stream may hold one partial frame; across many streams that must
              // stay bounded too, or a peer could park a large frame on every stream.
              this.close(
                new SwitchyardError(
                  'RESOURCE_EXHAUSTED',
                  `quic: peer left ${this.partialBytes} bytes of incomplete frames across streams`,
                ),
              );
              break;
            }
          }
        }
      } catch {
        // the stream was reset or the connection closed: the session hears of it via close
      } finally {
        this.partialBytes -= splitter.buffered;
        reader.releaseLock();
        // A broken stream, or a peer stream that never carried a call we answer on,
        // is reset so that it completes and the peer's credit comes back.
        if ((splitter.broken && !raw) || (kind === 'peer' && lane.writer === undefined)) {
          try {
            stream.cancel();
          } catch {
            // already closed
          }
        }
        if (kind !== 'control') {
          this.lanes.delete(lane);
          // The peer may have granted more credit now that a stream finished.
          if (this.waiters.length > 0) this.pollWaiters();
        }
      }
    })();
  }
}

/** An ERROR frame (JSON body) for call `seq`, as a callee would send it. */
function errorFrame(seq: number, code: string, message: string): Uint8Array {
  const body = Buffer.from(JSON.stringify({ code, message }), 'utf8');
  const frame = new Uint8Array(HEADER_SIZE + body.length);
  const view = new DataView(frame.buffer);
  view.setUint16(0, MAGIC, true);
  view.setUint8(2, PROTOCOL_VERSION);
  view.setUint8(3, FrameType.ERROR);
  view.setUint8(4, FLAG_CALLEE);
  view.setUint8(5, 2); // JSON codec id (PROTOCOL.md §2.4)
  view.setUint32(8, seq, true);
  view.setUint32(16, body.length, true);
  frame.set(body, HEADER_SIZE);
  return frame;
}
