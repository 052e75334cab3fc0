import type { Conduit, ConnectionInfo } from './conduit.js';
import { SwitchyardError } from './error.js';
import type {
  BidiCall,
  CallHandler,
  CallKind,
  ClientStreamCall,
  IncomingCall,
  PushListener,
  Session,
} from './session-types.js';

export interface TextSessionOptions {
  handler?: CallHandler | undefined;
  methods?: readonly string[] | undefined;
  /** Longest line accepted, in bytes (default 1 MiB); longer closes the connection. */
  maxLineLength?: number | undefined;
  /** Calls in flight at once (default 1024); more are answered RESOURCE_EXHAUSTED. */
  window?: number | undefined;
  /** Default deadline for requests without `timeout` (default 30 000 ms). */
  defaultTimeout?: number | undefined;
  /** Pending output at which reading pauses (default 8 MiB). */
  maxWriteBuffer?: number | undefined;
  now?: (() => number) | undefined;
}

const NEWLINE = 0x0a;

function unsupported(): never {
  throw new SwitchyardError('UNIMPLEMENTED', 'a text-mode peer cannot be called back');
}

/**
 * NDJSON text mode (PROTOCOL.md §12): one JSON object per line, so `nc` and
 * debugging tools can talk to a server. Serves calls only; the peer cannot be
 * called back, but it can receive pushes as `{"push": topic, "value": …}`.
 */
export class TextSession implements Session {
  readonly info: ConnectionInfo;
  readonly ready: Promise<void> = Promise.resolve();
  readonly closed: Promise<void>;
  private resolveClosed!: () => void;
  private readonly conduit: Conduit;
  private readonly handler: CallHandler | undefined;
  private readonly methodSet: Set<string> | undefined;
  private readonly maxLine: number;
  private readonly window: number;
  private readonly defaultTimeout: number;
  private readonly maxWriteBuffer: number;
  private readonly now: () => number;
  private parts: Buffer[] = [];
  private partBytes = 0;
  private out: string[] = [];
  private outBytes = 0;
  private scheduled = false;
  private blocked = false;
  private paused = false;
  private isClosedFlag = false;
  private goingAway = false;
  private readonly active = new Map<unknown, AbortController>();
  private lineNo = 0;
  private readonly pushListeners = new Set<PushListener>();

  constructor(conduit: Conduit, options: TextSessionOptions) {
    this.conduit = conduit;
    this.info = conduit.info;
    this.handler = options.handler;
    this.methodSet =
      options.methods && options.methods.length > 0 ? new Set(options.methods) : undefined;
    this.maxLine = options.maxLineLength ?? 1024 * 1024;
    this.window = options.window ?? 1024;
    this.defaultTimeout = options.defaultTimeout ?? 30_000;
    this.maxWriteBuffer = options.maxWriteBuffer ?? 8 * 1024 * 1024;
    this.now = options.now ?? (() => performance.now());
    this.closed = new Promise((r) => {
      this.resolveClosed = r;
    });
  }

  get inFlight(): number {
    return 0;
  }
  get serving(): number {
    return this.active.size;
  }
  get draining(): boolean {
    return this.goingAway || this.isClosedFlag;
  }
  get isClosed(): boolean {
    return this.isClosedFlag;
  }
  get rtt(): number | undefined {
    return undefined;
  }

  /** Feeds bytes; lines may be split across chunks. */
  onData(chunk: Uint8Array): void {
    if (this.isClosedFlag) return;
    let buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let nl = buf.indexOf(NEWLINE);
    while (nl >= 0) {
      let line: Buffer;
      if (this.parts.length > 0) {
        this.parts.push(buf.subarray(0, nl));
        line = Buffer.concat(this.parts, this.partBytes + nl);
        this.parts = [];
        this.partBytes = 0;
      } else {
        line = buf.subarray(0, nl);
      }
      if (line.length > this.maxLine) {
        this.tooLong();
        return;
      }
      this.onLine(line);
      if (this.isClosedFlag) return;
      buf = buf.subarray(nl + 1);
      nl = buf.indexOf(NEWLINE);
    }
    if (buf.length > 0) {
      if (this.partBytes + buf.length > this.maxLine) {
        this.tooLong();
        return;
      }
      // Copy: the conduit may reuse the chunk's memory.
      this.parts.push(Buffer.from(buf));
      this.partBytes += buf.length;
    }
    if (!this.paused && this.outBytes > this.maxWriteBuffer) {
      this.paused = true;
      this.conduit.pause();
    }
  }

  private tooLong(): void {
    this.writeLine({
      error: { code: 'PAYLOAD_TOO_LARGE', message: `line exceeds ${this.maxLine} bytes; closing` },
    });
    this.close();
  }

  private onLine(line: Buffer): void {
    this.lineNo++;
    const text = line.toString('utf8').trim();
    if (text.length === 0) return;
    let msg: unknown;
    try {
      msg = JSON.parse(text);
    } catch {
      this.writeLine({
        error: { code: 'INVALID_ARGUMENT', message: `line ${this.lineNo} is not valid JSON` },
      });
      return;
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.writeLine({
        error: { code: 'INVALID_ARGUMENT', message: `line ${this.lineNo} is not a JSON object` },
      });
      return;
    }
    const m = msg as Record<string, unknown>;
    const id = m.id;
    const hasId = id !== undefined && id !== null;
    if (hasId && typeof id !== 'string' && typeof id !== 'number') {
      this.writeLine({
        error: { code: 'INVALID_ARGUMENT', message: 'id must be a string or a number' },
      });
      return;
    }
    if (m.cancel !== undefined) {
      this.active.get(m.cancel)?.abort(new SwitchyardError('CANCELLED', 'cancelled by the caller'));
      return;
    }
    const reply = (body: Record<string, unknown>): void => {
      if (hasId) this.writeLine({ id, ...body });
    };
    const fail = (e: SwitchyardError): void => reply({ error: e.toJSON() });
    const method = m.method;
    if (typeof method !== 'string' || method.length === 0) {
      fail(new SwitchyardError('INVALID_ARGUMENT', 'method must be a non-empty string'));
      return;
    }
    if (this.methodSet && !this.methodSet.has(method)) {
      fail(new SwitchyardError('NOT_FOUND', `unknown method ${JSON.stringify(method)}`));
      return;
    }
    if (!this.handler) {
      fail(new SwitchyardError('UNIMPLEMENTED', 'this peer serves no calls'));
      return;
    }
    if (this.goingAway) {
      fail(new SwitchyardError('UNAVAILABLE', 'going away: call not started'));
      return;
    }
    if (hasId && this.active.has(id)) {
      fail(
        new SwitchyardError('INVALID_ARGUMENT', `id ${JSON.stringify(id)} is already in flight`),
      );
      return;
    }
    if (this.active.size >= this.window) {
      fail(
        new SwitchyardError(
          'RESOURCE_EXHAUSTED',
          `too many calls in flight (window ${this.window})`,
        ),
      );
      return;
    }
    const metadata: Record<string, string> = {};
    if (typeof m.metadata === 'object' && m.metadata !== null) {
      for (const [k, v] of Object.entries(m.metadata)) if (typeof v === 'string') metadata[k] = v;
    }
    const timeout =
      typeof m.timeout === 'number' && m.timeout > 0 ? m.timeout : this.defaultTimeout;
    const kind: CallKind = !hasId ? 'notify' : m.stream === true ? 'server-stream' : 'unary';
    const ac = new AbortController();
    const key = hasId ? id : Symbol('notify');
    this.active.set(key, ac);
    const timer = setTimeout(
      () => ac.abort(new SwitchyardError('DEADLINE_EXCEEDED', 'deadline exceeded')),
      timeout,
    );
    timer.unref();
    const call: IncomingCall = {
      method,
      kind,
      input: m.input,
      metadata,
      deadline: this.now() + timeout,
      signal: ac.signal,
      session: this,
    };
    const done = (): void => {
      clearTimeout(timer);
      this.active.delete(key);
      if (this.goingAway && this.active.size === 0) this.close();
    };
    const onError = (e: unknown): void => {
      if (!ac.signal.aborted || !(e instanceof SwitchyardError)) fail(SwitchyardError.from(e));
      else fail(e);
      done();
    };
    const onAbort = (): void => {
      const r: unknown = ac.signal.reason;
      fail(r instanceof SwitchyardError ? r : new SwitchyardError('CANCELLED', 'cancelled'));
      done();
    };
    ac.signal.addEventListener('abort', onAbort, { once: true });
    const finish = (fn: () => void): void => {
      ac.signal.removeEventListener('abort', onAbort);
      if (this.isClosedFlag) return;
      fn();
    };
    void (async () => {
      try {
        const result = await this.handler!(call);
        if (ac.signal.aborted) return;
        if (
          kind === 'server-stream' &&
          typeof result === 'object' &&
          result !== null &&
          Symbol.asyncIterator in result
        ) {
          for await (const v of result as AsyncIterable<unknown>) {
            if (ac.signal.aborted || this.isClosedFlag) return;
            reply({ data: v });
            // Text mode has no credit: wait while the socket is behind.
            while (this.blocked && !this.isClosedFlag && !ac.signal.aborted)
              await new Promise((r) => setTimeout(r, 5));
          }
          finish(() => {
            reply({ end: true });
            done();
          });
          return;
        }
        finish(() => {
          reply({ result: result === undefined ? null : toJsonSafe(result) });
          done();
        });
      } catch (e) {
        finish(() => onError(e));
      }
    })();
  }

  private writeLine(obj: unknown): void {
    if (this.isClosedFlag) return;
    let text: string;
    try {
      text = `${JSON.stringify(obj)}\n`;
    } catch {
      text = `${JSON.stringify({ error: { code: 'INTERNAL', message: 'response is not JSON-serializable' } })}\n`;
    }
    this.out.push(text);
    this.outBytes += text.length;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.flush();
      });
    }
  }

  private flush(): void {
    if (this.blocked || this.out.length === 0 || this.conduit.closed) return;
    const chunk = Buffer.from(this.out.join(''), 'utf8');
    this.out = [];
    this.outBytes = 0;
    if (!this.conduit.write(chunk)) this.blocked = true;
  }

  onDrain(): void {
    this.blocked = false;
    this.flush();
    if (this.paused && this.outBytes <= this.maxWriteBuffer / 2) {
      this.paused = false;
      this.conduit.resume();
    }
  }

  onClose(): void {
    if (this.isClosedFlag) return;
    this.isClosedFlag = true;
    for (const ac of this.active.values())
      ac.abort(new SwitchyardError('UNAVAILABLE', 'connection closed'));
    this.active.clear();
    this.resolveClosed();
  }

  call<T>(): Promise<T> {
    return Promise.reject(
      new SwitchyardError('UNIMPLEMENTED', 'a text-mode peer cannot be called back'),
    );
  }
  notify(): void {
    unsupported();
  }
  serverStream<T>(): AsyncIterable<T> {
    return unsupported();
  }
  clientStream<T>(): ClientStreamCall<T> {
    return unsupported();
  }
  bidi<T>(): BidiCall<T> {
    return unsupported();
  }
  ping(): Promise<number> {
    return Promise.reject(new SwitchyardError('UNIMPLEMENTED', 'text mode has no ping'));
  }

  push(topic: string, value: unknown): boolean {
    if (this.isClosedFlag || this.outBytes > this.maxWriteBuffer) return false;
    this.writeLine({ push: topic, value: toJsonSafe(value) });
    return true;
  }

  onPush(listener: PushListener): () => void {
    // Text peers do not push; kept for interface parity.
    this.pushListeners.add(listener);
    return () => this.pushListeners.delete(listener);
  }

  goaway(): Promise<void> {
    if (!this.goingAway) {
      this.goingAway = true;
      this.writeLine({ goaway: true });
      if (this.active.size === 0) this.close();
    }
    return this.closed;
  }

  close(error?: Error): void {
    if (this.isClosedFlag) return;
    this.flush();
    this.onClose();
    this.conduit.close(error);
  }
}

/** Bytes become base64 strings in text mode; everything else as JSON does it. */
function toJsonSafe(v: unknown): unknown {
  if (v instanceof Uint8Array)
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  return v;
}
