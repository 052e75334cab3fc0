import { builtinCodecs } from '@switchyard/codec';
import type { Conduit, ConnectionInfo } from './conduit.js';
import { SwitchyardError } from './error.js';
import {
  DEFAULT_MAX_FRAME_SIZE,
  FLAG_CALLEE,
  FLAG_RAW,
  FRAME_TYPE_NAMES,
  FrameType,
  KIND_MASK,
  Kind,
  MAX_METHOD_NAME,
  MIN_MAX_FRAME_SIZE,
  PROTOCOL_VERSION,
} from './frame.js';
import { FrameDecoder, type FrameView } from './frame-decoder.js';
import { FrameWriter } from './frame-writer.js';
import { decodeRequestExt, encodeRequestExt } from './request-ext.js';
import { SeqTable } from './seq-table.js';
import type {
  BidiCall,
  CallHandler,
  CallKind,
  CallOptions,
  ClientStreamCall,
  IncomingCall,
  NotifyOptions,
  PushListener,
  Session,
  SessionOptions,
} from './session-types.js';
import { slabCopy } from './slab.js';
import { StreamInbox } from './stream-inbox.js';
import { sharedTimerWheel, type TimerEntry, TimerWheel } from './timer-wheel.js';
import type { WireCodec } from './wire-codec.js';

const KIND_NAMES: readonly CallKind[] = [
  'unary',
  'server-stream',
  'client-stream',
  'bidi',
  'notify',
];
const DEFAULT_WINDOW = 1024;
const DEFAULT_STREAM_CREDIT = 64;
const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_KEEPALIVE = { interval: 15_000, timeout: 45_000 };
const MAX_PINGS = 16;
const json = builtinCodecs.json as WireCodec;
const EMPTY_METADATA: Readonly<Record<string, string>> = Object.freeze({});

enum CallState {
  Pending = 0,
  Sent = 1,
  Done = 2,
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function'
  );
}

function isAsyncIterable(v: unknown): v is AsyncIterable<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

function isIterable(v: unknown): v is Iterable<unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !(v instanceof Uint8Array) &&
    typeof (v as Record<symbol, unknown>)[Symbol.iterator] === 'function'
  );
}

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) {
    throw new SwitchyardError('INVALID_ARGUMENT', `${name} must be an integer ≥ ${min}, got ${v}`);
  }
  return v;
}

/** A call this side started (PROTOCOL.md §4). Also its own timer-wheel entry. */
class OutCall implements TimerEntry {
  seq = 0;
  state = CallState.Pending;
  deadline = Number.POSITIVE_INFINITY;
  timeoutMs = 0;
  resolve: ((v: unknown) => void) | undefined;
  reject: ((e: Error) => void) | undefined;
  inbox: StreamInbox | undefined;
  sendCredit = 0;
  creditWaiters: (() => void)[] | undefined;
  endRequested = false;
  endSent = false;
  /** Waited for a window slot or for HELLO before being sent. */
  queued = false;
  /** The caller's signal; this call is its 'abort' listener (handleEvent), so no closure. */
  signal: AbortSignal | undefined;
  _prev?: TimerEntry | undefined;
  _next?: TimerEntry | undefined;
  _slot?: number | undefined;

  constructor(
    readonly session: StreamSession,
    readonly kind: number,
    readonly method: string,
    readonly input: unknown,
    readonly metadata: Readonly<Record<string, string>> | undefined,
  ) {}

  fire(): void {
    this.session.onCallTimeout(this);
  }

  handleEvent(): void {
    this.session.onCallAborted(this);
  }
}

// `new Promise` with an arrow executor allocates a closure and its context per
// call; this one executor hands the resolving functions over through two
// module variables instead (it runs synchronously inside the constructor).
let capturedResolve: ((v: unknown) => void) | undefined;
let capturedReject: ((e: Error) => void) | undefined;
function captureResolvers(resolve: (v: unknown) => void, reject: (e: Error) => void): void {
  capturedResolve = resolve;
  capturedReject = reject;
}

/** A promise whose resolving functions are stored on `call` (no per-call closure). */
function callPromise<T>(call: OutCall): Promise<T> {
  const promise = new Promise<unknown>(captureResolvers);
  call.resolve = capturedResolve;
  call.reject = capturedReject;
  capturedResolve = undefined;
  capturedReject = undefined;
  return promise as Promise<T>;
}

/**
 * A call the peer started, as the handler sees it (IncomingCall). One object
 * per incoming call on the hot path, so it carries few fields: the kind name
 * is a getter, the AbortController is made on demand.
 */
class InCall implements IncomingCall, TimerEntry {
  inputStream?: AsyncIterable<unknown>;
  inbox: StreamInbox | undefined;
  done = false;
  /** Finished by answering, not by cancel, deadline or disconnect. */
  normal = false;
  /** Registered in the session's in-flight map. */
  tracked = false;
  sendCredit: number;
  creditWaiter: (() => void) | undefined;
  private controller: AbortController | undefined;
  abortReason: Error | undefined;
  onAbort: ((reason: Error) => void) | undefined = undefined;
  _prev?: TimerEntry | undefined;
  _next?: TimerEntry | undefined;
  _slot?: number | undefined;

  constructor(
    readonly session: StreamSession,
    readonly seq: number,
    readonly method: string,
    readonly kindBits: number,
    public input: unknown,
    readonly metadata: Readonly<Record<string, string>>,
    readonly deadline: number,
    credit: number,
  ) {
    this.sendCredit = credit;
  }

  get kind(): CallKind {
    return KIND_NAMES[this.kindBits]!;
  }

  // Created on first use: most unary handlers never look at their signal,
  // and an AbortController per call is measurable on the hot path.
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  abort(reason: Error): void {
    if (this.abortReason) return;
    this.abortReason = reason;
    this.controller?.abort(reason);
    const hook = this.onAbort;
    if (hook !== undefined) {
      this.onAbort = undefined;
      hook(reason);
    }
    const w = this.creditWaiter;
    if (w) {
      this.creditWaiter = undefined;
      w();
    }
    this.inbox?.fail(reason);
  }

  fire(): void {
    this.session.onIncomingDeadline(this);
  }
}

/**
 * The full-duplex multiplexed session (PROTOCOL.md §4–§10). Protocol logic only:
 * bytes come in through the conduit's `data` callback and leave through a
 * batching FrameWriter; time comes from the injected clock and timer wheel.
 */
export class StreamSession implements Session {
  readonly info: ConnectionInfo;
  readonly ready: Promise<void>;
  readonly closed: Promise<void>;

  private readonly conduit: Conduit;
  private readonly stableChunks: boolean;
  private readonly role: 'client' | 'server';
  private readonly codec: WireCodec;
  private readonly codecsById: (WireCodec | undefined)[] = new Array(256).fill(undefined);
  private readonly handler: CallHandler | undefined;
  private readonly methods: readonly string[];
  private readonly methodSet: Set<string> | undefined;
  private peerMethodIds = new Map<string, number>();
  private readonly maxFrameSize: number;
  private peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private readonly window: number;
  private peerWindow: number;
  private readonly maxPending: number;
  private readonly maxHandlers: number;
  private readonly defaultTimeout: number;
  private readonly streamCredit: number;
  private peerStreamCredit = DEFAULT_STREAM_CREDIT;
  private readonly keepalive: { interval: number; timeout: number } | undefined;
  private readonly maxWriteBuffer: number;
  private readonly onProtocolErrorHook: ((error: Error) => void) | undefined;
  private readonly now: () => number;
  private readonly wheel: TimerWheel;
  private readonly writer: FrameWriter;
  private readonly decoder: FrameDecoder;

  private readonly outCalls = new SeqTable<OutCall>();
  private pending: OutCall[] = [];
  private pendingHead = 0;
  private readonly inCalls = new Map<number, InCall>();
  private running = 0;
  private readonly waiting: InCall[] = [];
  private waitingHead = 0;
  private pushSeq = 0;
  private readonly pushListeners = new Set<PushListener>();
  private readonly pings = new Map<
    number,
    { sentAt: number; resolve(rtt: number): void; reject(e: Error): void }
  >();
  private pingId = 0;
  private lastReceived: number;
  private lastRtt: number | undefined;
  private helloReceived = false;
  private localDraining = false;
  private peerDraining = false;
  private closedFlag = false;
  private readPaused = false;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private resolveClosed!: () => void;
  private readonly keepaliveEntry: TimerEntry | undefined;
  private drainEntry: TimerEntry | undefined;
  private readonly scratchExt = Buffer.allocUnsafe(5);

  constructor(conduit: Conduit, options: SessionOptions) {
    if (options.role !== 'client' && options.role !== 'server') {
      throw new SwitchyardError('INVALID_ARGUMENT', `role must be 'client' or 'server'`);
    }
    this.conduit = conduit;
    this.info = conduit.info;
    this.stableChunks = conduit.stableChunks === true;
    this.role = options.role;
    this.codec = options.codec ?? (builtinCodecs.msgpackr as WireCodec);
    for (const c of [
      builtinCodecs.raw,
      builtinCodecs.msgpackr,
      builtinCodecs.json,
      ...(options.codecs ?? []),
      this.codec,
    ]) {
      this.codecsById[c.id] = c as WireCodec;
    }
    this.handler = options.handler;
    this.methods = options.methods ?? [];
    for (const m of this.methods) {
      if (typeof m !== 'string' || m.length === 0 || Buffer.byteLength(m) > MAX_METHOD_NAME) {
        throw new SwitchyardError('INVALID_ARGUMENT', `bad method name ${JSON.stringify(m)}`);
      }
    }
    this.methodSet = this.methods.length > 0 ? new Set(this.methods) : undefined;
    this.maxFrameSize = positiveInt(
      'maxFrameSize',
      options.maxFrameSize,
      DEFAULT_MAX_FRAME_SIZE,
      MIN_MAX_FRAME_SIZE,
    );
    this.window = positiveInt('window', options.window, DEFAULT_WINDOW);
    this.peerWindow = this.window;
    this.maxPending = positiveInt('maxPending', options.maxPending, this.window * 4, 0);
    this.maxHandlers = positiveInt('maxConcurrentHandlers', options.maxConcurrentHandlers, 256);
    this.defaultTimeout = options.defaultTimeout ?? DEFAULT_TIMEOUT;
    this.streamCredit = positiveInt('streamCredit', options.streamCredit, DEFAULT_STREAM_CREDIT);
    this.keepalive =
      options.keepalive === false ? undefined : (options.keepalive ?? DEFAULT_KEEPALIVE);
    this.maxWriteBuffer = options.maxWriteBuffer ?? 8 * 1024 * 1024;
    this.onProtocolErrorHook = options.onProtocolError;
    this.now = options.now ?? (() => performance.now());
    this.wheel =
      options.now || options.timerResolution
        ? new TimerWheel({ now: this.now, resolution: options.timerResolution ?? 10 })
        : sharedTimerWheel();
    this.lastReceived = this.now();

    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // A session that dies before HELLO must not produce an unhandled rejection
    // for users who never look at `ready`.
    this.ready.catch(() => {});
    this.closed = new Promise<void>((resolve) => {
      this.resolveClosed = resolve;
    });

    this.writer = new FrameWriter({
      write: (chunk) => this.conduit.write(chunk),
    });
    this.decoder = new FrameDecoder({
      maxFrameSize: this.maxFrameSize,
      onFrame: (f) => this.onFrame(f),
      onError: (e) => this.protocolError(e),
    });

    if (this.keepalive) {
      const ka = this.keepalive;
      const entry: TimerEntry = {
        deadline: this.now() + ka.interval,
        fire: () => this.onKeepalive(entry),
      };
      this.keepaliveEntry = entry;
      this.wheel.add(entry);
    }

    conduit.attach({
      data: (chunk) => this.onData(chunk),
      drain: () => this.onDrain(),
      close: (error) => this.onConduitClose(error),
    });
    if (conduit.closed) {
      this.onConduitClose(new SwitchyardError('UNAVAILABLE', 'conduit already closed'));
      return;
    }
    if (this.role === 'client') this.sendHello();
  }

  get inFlight(): number {
    return this.outCalls.size + (this.pending.length - this.pendingHead);
  }

  get draining(): boolean {
    return this.localDraining || this.peerDraining || this.closedFlag;
  }

  get isClosed(): boolean {
    return this.closedFlag;
  }

  get rtt(): number | undefined {
    return this.lastRtt;
  }

  /** Incoming calls being served (for tests and metrics). */
  get serving(): number {
    return this.inCalls.size;
  }

  // ---------------------------------------------------------------- HELLO (§3)

  private sendHello(): void {
    const hello = {
      versions: [PROTOCOL_VERSION],
      role: this.role,
      codec: this.codec.id,
      codecs: this.codecsById.flatMap((c) => (c ? [c.id] : [])),
      maxFrameSize: this.maxFrameSize,
      window: this.window,
      streamCredit: this.streamCredit,
      keepalive: this.keepalive ?? null,
      methods: this.methods,
    };
    this.writer.frame(FrameType.HELLO, 0, json.id, 0, 0, json.encode(hello));
  }

  private onHello(f: FrameView): void {
    let hello: Record<string, unknown>;
    try {
      const v = json.decode(f.buf.subarray(f.bodyStart, f.bodyStart + f.bodyLength));
      if (typeof v !== 'object' || v === null) throw new Error('not an object');
      hello = v as Record<string, unknown>;
    } catch {
      this.protocolError(new SwitchyardError('PROTOCOL_ERROR', 'HELLO body is not a JSON object'));
      return;
    }
    const int = (k: string, min: number): number | undefined => {
      const v = hello[k];
      return typeof v === 'number' && Number.isInteger(v) && v >= min ? v : undefined;
    };
    const versions = hello.versions;
    const maxFrameSize = int('maxFrameSize', MIN_MAX_FRAME_SIZE);
    const window = int('window', 1);
    const streamCredit = int('streamCredit', 1);
    const methods = hello.methods;
    if (!Array.isArray(versions) || !versions.includes(PROTOCOL_VERSION)) {
      this.protocolError(
        new SwitchyardError(
          'PROTOCOL_ERROR',
          `HELLO offers no supported version (we speak ${PROTOCOL_VERSION})`,
        ),
      );
      return;
    }
    if (maxFrameSize === undefined || window === undefined || streamCredit === undefined) {
      this.protocolError(
        new SwitchyardError('PROTOCOL_ERROR', 'HELLO lacks maxFrameSize, window or streamCredit'),
      );
      return;
    }
    if (
      !Array.isArray(methods) ||
      methods.length > 0xffff ||
      methods.some((m) => typeof m !== 'string' || m.length === 0 || m.length > MAX_METHOD_NAME)
    ) {
      this.protocolError(
        new SwitchyardError('PROTOCOL_ERROR', 'HELLO methods must be an array of method names'),
      );
      return;
    }
    this.peerMaxFrameSize = maxFrameSize;
    this.peerWindow = window;
    this.peerStreamCredit = streamCredit;
    this.peerMethodIds = new Map((methods as string[]).map((m, i) => [m, i]));
    this.helloReceived = true;
    if (this.role === 'server') this.sendHello();
    this.resolveReady();
    this.startPending();
  }

  // ------------------------------------------------------------ inbound path

  private onData(chunk: Uint8Array): void {
    if (this.closedFlag) return;
    // One clock read per chunk: incoming deadlines and keepalive use it.
    this.lastReceived = this.now();
    this.decoder.push(chunk);
    this.checkReadPressure();
  }

  private checkReadPressure(): void {
    // A peer that sends requests but does not read our answers would make us
    // buffer without bound: stop reading from it until its side drains.
    if (!this.readPaused && this.writer.pending > this.maxWriteBuffer) {
      this.readPaused = true;
      this.conduit.pause();
    }
  }

  private onDrain(): void {
    this.writer.drain();
    if (
      this.readPaused &&
      this.writer.pending <= this.maxWriteBuffer / 2 &&
      !this.writer.isBlocked
    ) {
      this.readPaused = false;
      this.conduit.resume();
    }
  }

  private onFrame(f: FrameView): void {
    if (this.closedFlag) return;
    try {
      if (!this.helloReceived) {
        if (f.type !== FrameType.HELLO) {
          this.protocolError(
            new SwitchyardError(
              'PROTOCOL_ERROR',
              `expected HELLO, got ${FRAME_TYPE_NAMES[f.type]}`,
            ),
          );
          return;
        }
        this.onHello(f);
        return;
      }
      if (f.method < 0 && f.type >= FrameType.CREDIT && f.type <= FrameType.PONG) {
        this.protocolError(
          new SwitchyardError(
            'PROTOCOL_ERROR',
            `${FRAME_TYPE_NAMES[f.type]} carries a number, not a name`,
          ),
        );
        return;
      }
      switch (f.type) {
        case FrameType.REQUEST:
          this.onRequest(f);
          return;
        case FrameType.RESPONSE:
        case FrameType.ERROR:
          this.onReply(f);
          return;
        case FrameType.STREAM_DATA:
        case FrameType.STREAM_END:
        case FrameType.CREDIT:
          if (f.flags & FLAG_CALLEE) this.onCalleeStreamFrame(f);
          else this.onCallerStreamFrame(f);
          return;
        case FrameType.CANCEL:
          this.onCancel(f);
          return;
        case FrameType.PING:
          this.writer.frame(FrameType.PONG, 0, 0, 0, f.method);
          return;
        case FrameType.PONG:
          this.onPong(f);
          return;
        case FrameType.GOAWAY:
          this.onGoaway(f);
          return;
        case FrameType.PUSH:
          this.onPushFrame(f);
          return;
        case FrameType.HELLO:
          this.protocolError(new SwitchyardError('PROTOCOL_ERROR', 'duplicate HELLO'));
          return;
      }
    } catch (error) {
      // A bug in our own handling must not take the process down: treat it as
      // a broken connection.
      this.protocolError(
        error instanceof SwitchyardError
          ? error
          : new SwitchyardError('INTERNAL', 'session failure', { cause: error }),
      );
    }
  }

  private decodeValue(f: FrameView): unknown {
    if (f.flags & FLAG_RAW) {
      // A view when the transport never reuses its chunks (the decoder's own
      // reassembly buffers are fresh too); otherwise a copy.
      if (this.stableChunks) return f.buf.subarray(f.blobStart, f.blobStart + f.blobLength);
      return slabCopy(f.buf, f.blobStart, f.blobStart + f.blobLength);
    }
    if (f.bodyLength === 0) return undefined;
    const codec = this.codecsById[f.codec];
    if (!codec) throw new SwitchyardError('UNSUPPORTED_MEDIA_TYPE', `unknown codec id ${f.codec}`);
    try {
      return codec.decode(f.buf.subarray(f.bodyStart, f.bodyStart + f.bodyLength));
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new SwitchyardError(
        'INVALID_ARGUMENT',
        `body could not be decoded (${codec.name}): ${why}`,
      );
    }
  }

  // ---------------------------------------------------------- serving (§6)

  private onRequest(f: FrameView): void {
    const kindBits = f.flags & KIND_MASK;
    if (kindBits > Kind.NOTIFY) {
      this.protocolError(new SwitchyardError('PROTOCOL_ERROR', `unknown call kind ${kindBits}`));
      return;
    }
    const isNotify = kindBits === Kind.NOTIFY;
    const seq = f.seq;
    if (!isNotify) {
      if (seq === 0) {
        this.protocolError(new SwitchyardError('PROTOCOL_ERROR', 'REQUEST with seq 0'));
        return;
      }
      if (this.inCalls.has(seq)) {
        this.protocolError(
          new SwitchyardError('PROTOCOL_ERROR', `seq ${seq} is already in flight`),
        );
        return;
      }
    }
    // Fast path for the common block (deadline, no metadata): no allocation.
    let timeoutMs = 0;
    let metadata: Readonly<Record<string, string>> = EMPTY_METADATA;
    if (f.extLength === 5 && f.buf[f.extStart + 4] === 0) {
      timeoutMs = f.buf.readUInt32LE(f.extStart);
    } else if (f.extLength > 0) {
      const ext = decodeRequestExt(f.buf, f.extStart, f.extLength);
      timeoutMs = ext.timeoutMs;
      metadata = ext.metadata;
    }
    let method: string | undefined;
    if (f.method >= 0) method = this.methods[f.method];
    else method = f.methodName;
    if (method === undefined || (this.methodSet && !this.methodSet.has(method))) {
      if (!isNotify) {
        const name = f.method >= 0 ? `#${f.method}` : JSON.stringify(f.methodName);
        this.sendError(seq, new SwitchyardError('NOT_FOUND', `unknown method ${name}`));
      }
      return;
    }
    if (!this.handler) {
      if (!isNotify)
        this.sendError(
          seq,
          new SwitchyardError('UNIMPLEMENTED', `this peer serves no calls (${method})`),
        );
      return;
    }
    if (this.localDraining) {
      if (!isNotify)
        this.sendError(seq, new SwitchyardError('UNAVAILABLE', 'going away: call not started'));
      return;
    }
    if (this.inCalls.size >= this.window) {
      if (!isNotify) {
        this.sendError(
          seq,
          new SwitchyardError(
            'RESOURCE_EXHAUSTED',
            `too many calls in flight (window ${this.window})`,
          ),
        );
      }
      return;
    }
    let input: unknown;
    if (kindBits !== Kind.CLIENT_STREAM && kindBits !== Kind.BIDI) {
      try {
        input = this.decodeValue(f);
      } catch (error) {
        if (!isNotify) this.sendError(seq, error as SwitchyardError);
        return;
      }
    }
    const deadline = timeoutMs > 0 ? this.lastReceived + timeoutMs : Number.POSITIVE_INFINITY;
    const call = new InCall(
      this,
      seq,
      method,
      kindBits,
      input,
      metadata,
      deadline,
      this.peerStreamCredit,
    );
    if (kindBits === Kind.CLIENT_STREAM || kindBits === Kind.BIDI) {
      const inbox = new StreamInbox(
        this.streamCredit,
        (n) => this.writer.frame(FrameType.CREDIT, FLAG_CALLEE, 0, seq, n),
        () => {},
      );
      call.inbox = inbox;
      call.inputStream = inbox;
    }
    // A call whose handler answers synchronously never needs the in-flight map;
    // it is registered only when it must receive frames or outlive this tick.
    if (call.inbox || this.running >= this.maxHandlers) this.track(call);
    if (this.running < this.maxHandlers) this.runHandler(call);
    else this.waiting.push(call);
  }

  private track(call: InCall): void {
    if (call.tracked || call.kindBits === Kind.NOTIFY) return;
    call.tracked = true;
    this.inCalls.set(call.seq, call);
  }

  private runHandler(call: InCall): void {
    this.running++;
    let result: unknown;
    try {
      result = this.handler!(call);
    } catch (error) {
      this.finishWithError(call, error);
      return;
    }
    if (isThenable(result)) {
      this.track(call);
      if (call.deadline !== Number.POSITIVE_INFINITY && call.kindBits !== Kind.NOTIFY) {
        this.wheel.add(call);
      }
      result.then(
        (v) => this.onHandlerResult(call, v),
        (e) => this.finishWithError(call, e),
      );
      return;
    }
    this.onHandlerResult(call, result);
  }

  private onHandlerResult(call: InCall, value: unknown): void {
    if (call.done) {
      this.handlerDone();
      return;
    }
    const k = call.kindBits;
    if (k === Kind.NOTIFY) {
      call.done = true;
      this.handlerDone();
      return;
    }
    if (k === Kind.SERVER_STREAM || k === Kind.BIDI) {
      if (isAsyncIterable(value)) {
        this.track(call);
        if (call._slot === undefined && call.deadline !== Number.POSITIVE_INFINITY)
          this.wheel.add(call);
        void this.pump(call, value[Symbol.asyncIterator]());
        return;
      }
      if (isIterable(value)) {
        this.track(call);
        if (call._slot === undefined && call.deadline !== Number.POSITIVE_INFINITY)
          this.wheel.add(call);
        void this.pump(call, toAsync(value[Symbol.iterator]()));
        return;
      }
      if (value !== undefined) {
        this.finishWithError(
          call,
          new SwitchyardError('INTERNAL', `handler for ${call.kind} call must return an iterable`),
        );
        return;
      }
      this.completeIncoming(call);
      this.writer.frame(FrameType.STREAM_END, FLAG_CALLEE, 0, call.seq, 0);
      this.handlerDone();
      return;
    }
    this.completeIncoming(call);
    try {
      this.writer.valueFrame(
        FrameType.RESPONSE,
        FLAG_CALLEE,
        this.codec,
        call.seq,
        0,
        value,
        this.peerMaxFrameSize,
      );
    } catch (error) {
      this.sendError(call.seq, toResponseError(error));
    }
    this.handlerDone();
  }

  private async pump(call: InCall, it: AsyncIterator<unknown>): Promise<void> {
    try {
      while (!call.done) {
        if (call.sendCredit <= 0) {
          await new Promise<void>((resolve) => {
            call.creditWaiter = resolve;
          });
          continue;
        }
        const r = await it.next();
        if (call.done) break;
        if (r.done) {
          this.completeIncoming(call);
          this.writer.frame(FrameType.STREAM_END, FLAG_CALLEE, 0, call.seq, 0);
          break;
        }
        this.writer.valueFrame(
          FrameType.STREAM_DATA,
          FLAG_CALLEE,
          this.codec,
          call.seq,
          0,
          r.value,
          this.peerMaxFrameSize,
        );
        call.sendCredit--;
      }
    } catch (error) {
      if (!call.done) {
        this.finishWithError(call, error);
        return;
      }
    }
    if (call.done && !call.normal) {
      // Cancelled, timed out or disconnected: let the generator run its finally blocks.
      void Promise.resolve(it.return?.()).catch(() => {});
    }
    this.handlerDone();
  }

  private completeIncoming(call: InCall): void {
    call.done = true;
    call.normal = true;
    if (call._slot !== undefined) this.wheel.cancel(call);
    if (call.tracked) this.inCalls.delete(call.seq);
  }

  private finishWithError(call: InCall, error: unknown): void {
    if (!call.done && call.kindBits !== Kind.NOTIFY) {
      this.completeIncoming(call);
      this.sendError(call.seq, SwitchyardError.from(error));
    } else {
      call.done = true;
    }
    this.handlerDone();
  }

  private handlerDone(): void {
    this.running--;
    // After the answer was written: a drain may now be complete.
    if (this.localDraining) queueMicrotask(() => this.checkDrained());
    while (this.running < this.maxHandlers && this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead]!;
      this.waiting[this.waitingHead++] = undefined as unknown as InCall;
      if (this.waitingHead === this.waiting.length) {
        this.waiting.length = 0;
        this.waitingHead = 0;
      }
      if (next.done) continue;
      this.runHandler(next);
    }
  }

  private sendError(seq: number, error: SwitchyardError): void {
    const body = error.toJSON();
    try {
      this.writer.valueFrame(
        FrameType.ERROR,
        FLAG_CALLEE,
        this.codec,
        seq,
        0,
        body,
        this.peerMaxFrameSize,
      );
    } catch {
      // `data` did not encode or was too big: send the code and message alone.
      this.writer.frame(
        FrameType.ERROR,
        FLAG_CALLEE,
        json.id,
        seq,
        0,
        json.encode({ code: error.code, message: error.message }),
      );
    }
  }

  onIncomingDeadline(call: InCall): void {
    if (call.done) return;
    call.done = true;
    this.inCalls.delete(call.seq);
    call.abort(new SwitchyardError('DEADLINE_EXCEEDED', 'deadline exceeded'));
    // The caller gave up at the same moment; answering would only be dropped.
    if (this.localDraining) this.checkDrained();
  }

  private onCancel(f: FrameView): void {
    const call = this.inCalls.get(f.seq);
    if (!call || call.done) return;
    call.done = true;
    this.wheel.cancel(call);
    this.inCalls.delete(f.seq);
    call.abort(new SwitchyardError('CANCELLED', 'cancelled by the caller'));
    if (this.localDraining) this.checkDrained();
  }

  /** STREAM_DATA / STREAM_END / CREDIT sent by a caller: about a call we serve. */
  private onCallerStreamFrame(f: FrameView): void {
    const call = this.inCalls.get(f.seq);
    if (!call || call.done) return; // late frame for a finished call: dropped (§4.4)
    if (f.type === FrameType.CREDIT) {
      call.sendCredit += f.method;
      const w = call.creditWaiter;
      if (w) {
        call.creditWaiter = undefined;
        w();
      }
      return;
    }
    const inbox = call.inbox;
    if (!inbox) {
      this.protocolError(
        new SwitchyardError(
          'PROTOCOL_ERROR',
          `${FRAME_TYPE_NAMES[f.type]} for a call without an input stream`,
        ),
      );
      return;
    }
    if (f.type === FrameType.STREAM_END) {
      inbox.end();
      return;
    }
    let value: unknown;
    try {
      value = this.decodeValue(f);
    } catch (error) {
      this.failIncoming(call, error as SwitchyardError);
      return;
    }
    if (!inbox.push(value)) {
      this.failIncoming(
        call,
        new SwitchyardError('RESOURCE_EXHAUSTED', 'stream message beyond granted credit'),
      );
    }
  }

  private failIncoming(call: InCall, error: SwitchyardError): void {
    this.completeIncoming(call);
    call.abort(error);
    this.sendError(call.seq, error);
  }

  // ---------------------------------------------------------- calling (§4, §5)

  private refuseNew(): SwitchyardError | undefined {
    if (this.closedFlag) return new SwitchyardError('UNAVAILABLE', 'session closed');
    if (this.localDraining) return new SwitchyardError('UNAVAILABLE', 'session is going away');
    if (this.peerDraining) return new SwitchyardError('UNAVAILABLE', 'peer is going away');
    return undefined;
  }

  private newCall(
    kind: number,
    method: string,
    input: unknown,
    options: CallOptions | undefined,
  ): OutCall {
    if (
      typeof method !== 'string' ||
      method.length === 0 ||
      // A UTF-16 unit is at most 3 UTF-8 bytes: short names skip the byte count.
      (method.length * 3 > MAX_METHOD_NAME && Buffer.byteLength(method) > MAX_METHOD_NAME)
    ) {
      throw new SwitchyardError('INVALID_ARGUMENT', `bad method name ${JSON.stringify(method)}`);
    }
    const call = new OutCall(this, kind, method, input, options?.metadata);
    const timeout = options?.timeout ?? this.defaultTimeout;
    if (Number.isFinite(timeout) && timeout > 0) {
      call.timeoutMs = timeout;
      call.deadline = this.now() + timeout;
    }
    return call;
  }

  /** Queues or sends; the call's callbacks are set by the caller first. */
  private submit(call: OutCall, signal: AbortSignal | undefined): void {
    const refused = this.refuseNew();
    if (refused) {
      this.settle(call, refused);
      return;
    }
    if (signal) {
      if (signal.aborted) {
        this.settle(call, new SwitchyardError('CANCELLED', 'aborted before sending'));
        return;
      }
      call.signal = signal;
      signal.addEventListener('abort', call, { once: true });
    }
    if (call.deadline !== Number.POSITIVE_INFINITY) this.wheel.add(call);
    if (this.helloReceived && this.outCalls.size < Math.min(this.window, this.peerWindow)) {
      this.send(call);
      if (this.outCalls.size >= Math.min(this.window, this.peerWindow)) this.writer.flush();
      return;
    }
    if (this.pending.length - this.pendingHead >= this.maxPending) {
      this.settle(
        call,
        new SwitchyardError(
          'RESOURCE_EXHAUSTED',
          `too many calls waiting for a window slot (${this.maxPending})`,
        ),
      );
      return;
    }
    // Window full: flush now so the peer sees the batch without waiting for the tick.
    this.writer.flush();
    call.queued = true;
    this.pending.push(call);
  }

  private send(call: OutCall): void {
    const seq = this.outCalls.nextSeq();
    call.seq = seq;
    let remaining = 0;
    if (call.timeoutMs > 0) {
      // Sent at once: the whole timeout is left, no second clock read.
      remaining = call.queued ? Math.max(1, call.deadline - this.now()) : call.timeoutMs;
    }
    let ext: Uint8Array | undefined;
    try {
      if (call.metadata) ext = encodeRequestExt(remaining, call.metadata);
      else if (remaining > 0) {
        this.scratchExt.writeUInt32LE(Math.min(Math.ceil(remaining), 0xffffffff), 0);
        this.scratchExt[4] = 0;
        ext = this.scratchExt;
      }
      const id = this.peerMethodIds.get(call.method);
      const input =
        call.kind === Kind.CLIENT_STREAM || call.kind === Kind.BIDI ? undefined : call.input;
      this.writer.valueFrame(
        FrameType.REQUEST,
        call.kind,
        this.codec,
        seq,
        id ?? call.method,
        input,
        this.peerMaxFrameSize,
        ext,
      );
    } catch (error) {
      this.settle(call, toRequestError(error));
      return;
    }
    if (call.kind === Kind.NOTIFY) {
      call.state = CallState.Done;
      this.wheel.cancel(call);
      return;
    }
    call.state = CallState.Sent;
    this.outCalls.add(call);
    if (call.kind === Kind.CLIENT_STREAM || call.kind === Kind.BIDI) {
      call.sendCredit = this.peerStreamCredit;
      this.wakeSenders(call);
      if (call.endRequested) this.sendEnd(call);
    }
  }

  private startPending(): void {
    const cap = Math.min(this.window, this.peerWindow);
    while (
      this.pendingHead < this.pending.length &&
      this.outCalls.size < cap &&
      this.helloReceived
    ) {
      const call = this.pending[this.pendingHead]!;
      this.pending[this.pendingHead++] = undefined as unknown as OutCall;
      if (this.pendingHead === this.pending.length) {
        this.pending = [];
        this.pendingHead = 0;
      }
      if (call.state !== CallState.Pending) continue;
      if (this.draining) {
        this.settle(call, this.refuseNew()!);
        continue;
      }
      this.send(call);
    }
  }

  /** Finishes an outgoing call with an error (or value); frees its slot. */
  private settle(call: OutCall, error: Error | undefined, value?: unknown): void {
    if (call.state === CallState.Done) return;
    const wasSent = call.state === CallState.Sent;
    call.state = CallState.Done;
    if (wasSent) this.outCalls.delete(call);
    this.wheel.cancel(call);
    if (call.signal) call.signal.removeEventListener('abort', call);
    if (error) {
      call.inbox?.fail(error);
      call.reject?.(error);
    } else {
      call.inbox?.end();
      call.resolve?.(value);
    }
    if (call.creditWaiters) this.wakeSenders(call);
    if (wasSent) {
      if (this.pendingHead < this.pending.length) this.startPending();
      if (this.localDraining) this.checkDrained();
    }
  }

  private cancelCall(call: OutCall, error: SwitchyardError): void {
    if (call.state === CallState.Done) return;
    if (call.state === CallState.Sent && !this.closedFlag) {
      this.writer.frame(FrameType.CANCEL, 0, 0, call.seq, 0);
    }
    this.settle(call, error);
  }

  /** The caller's AbortSignal fired. */
  onCallAborted(call: OutCall): void {
    this.cancelCall(call, new SwitchyardError('CANCELLED', 'aborted by the caller'));
  }

  onCallTimeout(call: OutCall): void {
    this.cancelCall(
      call,
      new SwitchyardError(
        'DEADLINE_EXCEEDED',
        `${call.method} timed out after ${call.timeoutMs} ms`,
      ),
    );
  }

  private onReply(f: FrameView): void {
    const call = this.outCalls.get(f.seq);
    if (!call) return; // late reply after a timeout or cancel: dropped (§4.4)
    if (f.type === FrameType.ERROR) {
      let err: SwitchyardError;
      try {
        err = SwitchyardError.fromJSON(this.decodeValue(f));
      } catch (error) {
        err = error as SwitchyardError;
      }
      this.settle(call, err);
      return;
    }
    if (call.kind === Kind.SERVER_STREAM || call.kind === Kind.BIDI) {
      this.protocolError(new SwitchyardError('PROTOCOL_ERROR', 'RESPONSE to a streaming call'));
      return;
    }
    let value: unknown;
    try {
      value = this.decodeValue(f);
    } catch (error) {
      this.settle(call, error as SwitchyardError);
      return;
    }
    this.settle(call, undefined, value);
  }

  /** STREAM_DATA / STREAM_END / CREDIT from a callee: about a call we started. */
  private onCalleeStreamFrame(f: FrameView): void {
    const call = this.outCalls.get(f.seq);
    if (!call) return;
    if (f.type === FrameType.CREDIT) {
      call.sendCredit += f.method;
      this.wakeSenders(call);
      return;
    }
    const inbox = call.inbox;
    if (!inbox) {
      this.protocolError(
        new SwitchyardError(
          'PROTOCOL_ERROR',
          `${FRAME_TYPE_NAMES[f.type]} for a call without an output stream`,
        ),
      );
      return;
    }
    if (f.type === FrameType.STREAM_END) {
      this.settle(call, undefined);
      return;
    }
    let value: unknown;
    try {
      value = this.decodeValue(f);
    } catch (error) {
      this.cancelCall(call, error as SwitchyardError);
      return;
    }
    if (!inbox.push(value)) {
      this.cancelCall(
        call,
        new SwitchyardError('RESOURCE_EXHAUSTED', 'peer sent beyond granted stream credit'),
      );
    }
  }

  private wakeSenders(call: OutCall): void {
    const ws = call.creditWaiters;
    if (!ws) return;
    while (ws.length > 0 && (call.sendCredit > 0 || call.state === CallState.Done)) {
      ws.shift()!();
    }
  }

  private sendStreamValue(call: OutCall, value: unknown): Promise<void> {
    if (call.state === CallState.Done) {
      return Promise.reject(
        new SwitchyardError('FAILED_PRECONDITION', `${call.method}: call already finished`),
      );
    }
    if (call.endRequested) {
      return Promise.reject(
        new SwitchyardError('FAILED_PRECONDITION', `${call.method}: send after end()`),
      );
    }
    if (call.state === CallState.Sent && call.sendCredit > 0) {
      try {
        this.writer.valueFrame(
          FrameType.STREAM_DATA,
          0,
          this.codec,
          call.seq,
          0,
          value,
          this.peerMaxFrameSize,
        );
      } catch (error) {
        return Promise.reject(toRequestError(error));
      }
      call.sendCredit--;
      return Promise.resolve();
    }
    call.creditWaiters ??= [];
    if (call.creditWaiters.length >= this.streamCredit) {
      return Promise.reject(
        new SwitchyardError(
          'RESOURCE_EXHAUSTED',
          `${call.method}: too many unawaited send() calls`,
        ),
      );
    }
    return new Promise<void>((resolve, reject) => {
      call.creditWaiters!.push(() => {
        this.sendStreamValue(call, value).then(resolve, reject);
      });
    });
  }

  private sendEnd(call: OutCall): void {
    call.endRequested = true;
    if (call.state !== CallState.Sent || call.endSent) return;
    // Messages still waiting for credit go first; end follows the last of them.
    if (call.creditWaiters && call.creditWaiters.length > 0) {
      call.creditWaiters.push(() => this.sendEnd(call));
      return;
    }
    call.endSent = true;
    this.writer.frame(FrameType.STREAM_END, 0, 0, call.seq, 0);
  }

  call<T = unknown>(method: string, input?: unknown, options?: CallOptions): Promise<T> {
    let call: OutCall;
    try {
      call = this.newCall(Kind.UNARY, method, input, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const promise = callPromise<T>(call);
    try {
      this.submit(call, options?.signal);
    } catch (error) {
      // As if thrown in a promise executor: the call rejects (no-op once settled).
      call.reject!(error as Error);
    }
    return promise;
  }

  notify(method: string, input?: unknown, options?: NotifyOptions): void {
    const call = this.newCall(Kind.NOTIFY, method, input, {
      timeout: 0,
      ...(options?.metadata ? { metadata: options.metadata } : {}),
    });
    // Fire-and-forget: failures (closed session, full queue) are dropped by design.
    this.submit(call, undefined);
  }

  serverStream<T = unknown>(
    method: string,
    input?: unknown,
    options?: CallOptions,
  ): AsyncIterable<T> {
    return {
      [Symbol.asyncIterator]: (): AsyncIterator<T> => {
        const call = this.newCall(Kind.SERVER_STREAM, method, input, options);
        call.inbox = new StreamInbox(
          this.streamCredit,
          (n) => {
            if (call.state === CallState.Sent)
              this.writer.frame(FrameType.CREDIT, 0, 0, call.seq, n);
          },
          () => this.cancelCall(call, new SwitchyardError('CANCELLED', 'stream consumer stopped')),
        );
        this.submit(call, options?.signal);
        return call.inbox as StreamInbox<T>;
      },
    };
  }

  clientStream<T = unknown>(method: string, options?: CallOptions): ClientStreamCall<T> {
    const call = this.newCall(Kind.CLIENT_STREAM, method, undefined, options);
    const result = callPromise<T>(call);
    this.submit(call, options?.signal);
    return {
      send: (value) => this.sendStreamValue(call, value),
      end: () => this.sendEnd(call),
      result,
    };
  }

  bidi<T = unknown>(method: string, options?: CallOptions): BidiCall<T> {
    const call = this.newCall(Kind.BIDI, method, undefined, options);
    call.inbox = new StreamInbox(
      this.streamCredit,
      (n) => {
        if (call.state === CallState.Sent) this.writer.frame(FrameType.CREDIT, 0, 0, call.seq, n);
      },
      () => this.cancelCall(call, new SwitchyardError('CANCELLED', 'stream consumer stopped')),
    );
    this.submit(call, options?.signal);
    const inbox = call.inbox as StreamInbox<T>;
    return {
      send: (value) => this.sendStreamValue(call, value),
      end: () => this.sendEnd(call),
      [Symbol.asyncIterator]: () => inbox,
    };
  }

  // ------------------------------------------------------------- push (§9)

  push(topic: string, value: unknown): boolean {
    if (this.closedFlag || this.localDraining) return false;
    if (
      typeof topic !== 'string' ||
      topic.length === 0 ||
      Buffer.byteLength(topic) > MAX_METHOD_NAME
    )
      return false;
    // A peer that does not read must not make pushes pile up without bound.
    if (this.writer.pending > this.maxWriteBuffer) return false;
    if (!this.helloReceived && this.role === 'server') {
      void this.ready.then(() => this.push(topic, value));
      return true;
    }
    this.pushSeq = (this.pushSeq + 1) >>> 0 || 1;
    try {
      this.writer.valueFrame(
        FrameType.PUSH,
        0,
        this.codec,
        this.pushSeq,
        topic,
        value,
        this.peerMaxFrameSize,
      );
    } catch {
      return false;
    }
    return true;
  }

  onPush(listener: PushListener): () => void {
    this.pushListeners.add(listener);
    return () => {
      this.pushListeners.delete(listener);
    };
  }

  private onPushFrame(f: FrameView): void {
    if (f.method !== -1) {
      this.protocolError(
        new SwitchyardError('PROTOCOL_ERROR', 'PUSH must carry its topic by name'),
      );
      return;
    }
    let value: unknown;
    try {
      value = this.decodeValue(f);
    } catch {
      return; // an undecodable push is dropped: there is nobody to answer
    }
    const topic = f.methodName;
    for (const l of this.pushListeners) {
      try {
        l(topic, value);
      } catch {
        // A listener's bug must not break the connection.
      }
    }
  }

  // ----------------------------------------------------- keepalive (§10)

  ping(): Promise<number> {
    if (this.closedFlag)
      return Promise.reject(new SwitchyardError('UNAVAILABLE', 'session closed'));
    if (this.pings.size >= MAX_PINGS) {
      return Promise.reject(
        new SwitchyardError('RESOURCE_EXHAUSTED', 'too many pings outstanding'),
      );
    }
    this.pingId = (this.pingId + 1) >>> 0 || 1;
    const id = this.pingId;
    return new Promise<number>((resolve, reject) => {
      this.pings.set(id, { sentAt: this.now(), resolve, reject });
      this.writer.frame(FrameType.PING, 0, 0, 0, id);
      this.writer.flush();
    });
  }

  private onPong(f: FrameView): void {
    const p = this.pings.get(f.method);
    if (!p) return;
    this.pings.delete(f.method);
    this.lastRtt = this.now() - p.sentAt;
    p.resolve(this.lastRtt);
  }

  private onKeepalive(entry: TimerEntry): void {
    if (this.closedFlag || !this.keepalive) return;
    const now = this.now();
    const silent = now - this.lastReceived;
    if (silent >= this.keepalive.timeout) {
      this.close(
        new SwitchyardError('UNAVAILABLE', `keepalive: peer silent for ${Math.round(silent)} ms`),
      );
      return;
    }
    if (silent >= this.keepalive.interval && this.pings.size < MAX_PINGS) {
      this.ping().catch(() => {});
    }
    entry.deadline = now + Math.min(this.keepalive.interval, this.keepalive.timeout - silent);
    this.wheel.add(entry);
  }

  // ---------------------------------------------------------- GOAWAY (§11)

  goaway(timeout?: number): Promise<void> {
    if (this.closedFlag) return this.closed;
    if (!this.localDraining) {
      this.localDraining = true;
      this.writer.frame(FrameType.GOAWAY, 0, json.id, 0, 0, json.encode({ message: 'going away' }));
      this.failPending(new SwitchyardError('UNAVAILABLE', 'session is going away: call not sent'));
      const limit = timeout ?? this.defaultTimeout;
      if (Number.isFinite(limit) && limit > 0) {
        const entry: TimerEntry = {
          deadline: this.now() + limit,
          fire: () => this.close(new SwitchyardError('UNAVAILABLE', 'GOAWAY drain timed out')),
        };
        this.drainEntry = entry;
        this.wheel.add(entry);
      }
      this.checkDrained();
    }
    return this.closed;
  }

  private onGoaway(_f: FrameView): void {
    this.peerDraining = true;
    this.failPending(new SwitchyardError('UNAVAILABLE', 'peer is going away: call not sent'));
  }

  private failPending(error: SwitchyardError): void {
    const list = this.pending;
    const from = this.pendingHead;
    this.pending = [];
    this.pendingHead = 0;
    for (let i = from; i < list.length; i++) {
      const c = list[i];
      if (c) this.settle(c, error);
    }
  }

  private checkDrained(): void {
    if (this.closedFlag || !this.localDraining) return;
    if (this.outCalls.size === 0 && this.inCalls.size === 0) this.close();
  }

  // ------------------------------------------------------------ closing

  private protocolError(error: SwitchyardError): void {
    if (this.closedFlag) return;
    try {
      this.onProtocolErrorHook?.(error);
    } catch {
      // logging hooks must not break shutdown
    }
    // Tell the peer why before hanging up (§11.2), then close.
    this.writer.frame(FrameType.GOAWAY, 0, json.id, 0, 0, json.encode(error.toJSON()));
    this.close(error, true);
  }

  close(error?: Error, flushFirst = !error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    const reason =
      error instanceof SwitchyardError && error.code === 'UNAVAILABLE'
        ? error
        : new SwitchyardError(
            'UNAVAILABLE',
            error ? `connection closed: ${error.message}` : 'connection closed',
            error ? { cause: error } : {},
          );
    if (this.keepaliveEntry) this.wheel.cancel(this.keepaliveEntry);
    if (this.drainEntry) this.wheel.cancel(this.drainEntry);
    this.rejectReady(reason);
    this.failPending(new SwitchyardError('UNAVAILABLE', `${reason.message}: call not sent`));
    // In-flight calls may have run on the peer: only idempotent ones may be retried.
    maybeExecuted.add(reason);
    for (const c of this.outCalls.values()) this.settle(c, reason);
    for (const c of this.inCalls.values()) {
      c.done = true;
      this.wheel.cancel(c);
      c.abort(reason);
    }
    this.inCalls.clear();
    for (const c of this.waiting) if (c) c.done = true;
    for (const p of this.pings.values()) p.reject(reason);
    this.pings.clear();
    if (flushFirst) this.writer.flush();
    this.writer.close();
    if (!this.conduit.closed) {
      if (flushFirst) this.conduit.close();
      else this.conduit.close(error);
    }
    this.resolveClosed();
  }

  private onConduitClose(error?: Error): void {
    if (this.closedFlag) return;
    this.close(error ?? new SwitchyardError('UNAVAILABLE', 'connection closed by peer'), false);
  }
}

async function* toAsync(it: Iterator<unknown>): AsyncGenerator<unknown> {
  while (true) {
    const r = it.next();
    if (r.done) return;
    yield r.value;
  }
}

const maybeExecuted = new WeakSet<object>();

/**
 * True for an error that failed a call after its REQUEST had left (the
 * connection was lost mid-call): the peer may have run it, so only idempotent
 * methods may be retried. Errors for calls never sent are not marked.
 */
export function isMaybeExecuted(error: unknown): boolean {
  return typeof error === 'object' && error !== null && maybeExecuted.has(error);
}

function toResponseError(error: unknown): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new SwitchyardError('INTERNAL', `response could not be encoded: ${why}`);
}

function toRequestError(error: unknown): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  const why = error instanceof Error ? error.message : String(error);
  return new SwitchyardError('INVALID_ARGUMENT', `request could not be encoded: ${why}`, {
    cause: error,
  });
}

/** Turns a conduit into a multiplexed session (see PROTOCOL.md). */
export function createSession(conduit: Conduit, options: SessionOptions): Session {
  return new StreamSession(conduit, options);
}
