/**
 * Creating an AbortController costs microseconds on a busy 2-core machine
 * (Node 20): one per call caps a gateway at tens of thousands of calls/s,
 * whatever else it does. The edge only uses the caller's signal for
 * `aborted`, `reason` and one add/removeEventListener('abort') pair, so
 * gateways may hand it this small stand-in instead; the handler still gets a
 * real `ctx.signal` from the edge, created only if it reads it.
 */
type AbortListener = EventListenerOrEventListenerObject;

export class CallSignal {
  private listener: AbortListener | undefined;
  private abortReason: unknown;
  private isAborted = false;

  get aborted(): boolean {
    return this.isAborted;
  }

  get reason(): unknown {
    return this.abortReason;
  }

  throwIfAborted(): void {
    if (this.isAborted) throw this.abortReason;
  }

  addEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || listener === null) return;
    // The edge registers one listener per call; a second would silently replace it.
    if (this.listener !== undefined && this.listener !== listener) {
      throw new Error('CallSignal supports one abort listener');
    }
    this.listener = listener;
    this.onListen();
  }

  removeEventListener(type: string, listener: AbortListener | null): void {
    if (type !== 'abort' || this.listener !== listener) return;
    this.listener = undefined;
    this.onUnlisten();
  }

  /** Hooks for subclasses: a listener came or went. */
  protected onListen(): void {}
  protected onUnlisten(): void {}

  abort(reason: unknown): void {
    if (this.isAborted) return;
    this.isAborted = true;
    this.abortReason = reason;
    const listener = this.listener;
    this.listener = undefined;
    if (listener === undefined) return;
    const event = { type: 'abort', target: this };
    if (typeof listener === 'function') listener(event as unknown as Event);
    else listener.handleEvent(event as unknown as Event);
  }

  /** Typed for APIs that take an AbortSignal; see the class comment for what is supported. */
  asAbortSignal(): AbortSignal {
    return this as unknown as AbortSignal;
  }
}

/** Something with a real AbortSignal made on first read (a stream session's IncomingCall). */
export interface SignalSource {
  readonly signal: AbortSignal;
  /**
   * When the source has it (a stream IncomingCall does), a hook it calls once
   * on abort: watching through it costs a property write, not an AbortController.
   */
  onAbort?: ((reason: Error) => void) | undefined;
  readonly abortReason?: Error | undefined;
}

const pending = new Set<LinkedCallSignal>();
let sweepScheduled = false;

function sweep(): void {
  sweepScheduled = false;
  for (const signal of pending) signal.link();
  pending.clear();
}

/**
 * A CallSignal for a call whose source makes its AbortSignal lazily (a stream
 * session's IncomingCall). Reading `source.signal` per call would create an
 * AbortController per call. A source with an `onAbort` hook is watched
 * through it, at once and for the price of a property write (a forwarded or
 * slow call is watched for its whole life). Otherwise only calls still being
 * watched at the end of the turn read `source.signal` (CANCEL, deadline and
 * disconnect then reach the handler within one turn).
 */
export class LinkedCallSignal extends CallSignal {
  private linked: AbortSignal | undefined;

  constructor(private readonly source: SignalSource) {
    super();
  }

  protected override onListen(): void {
    if (this.hooked()) {
      const reason = this.source.abortReason;
      if (reason !== undefined) this.abort(reason);
      else {
        this.abortHook ??= (r: Error) => this.abort(r);
        this.source.onAbort = this.abortHook;
      }
      return;
    }
    pending.add(this);
    if (!sweepScheduled) {
      sweepScheduled = true;
      setImmediate(sweep);
    }
  }

  protected override onUnlisten(): void {
    if (this.hooked()) {
      if (this.source.onAbort === this.abortHook) this.source.onAbort = undefined;
      return;
    }
    pending.delete(this);
    this.linked?.removeEventListener('abort', this);
  }

  /** Made on first use: calls that finish before anyone watches them never need it. */
  private abortHook: ((reason: Error) => void) | undefined;

  /** The source offers the abort hook (checked per use: a plain object may gain it later). */
  private hooked(): boolean {
    return 'onAbort' in this.source;
  }

  /** Connects to the source's signal; called once per turn for calls still watched. */
  link(): void {
    if (this.linked !== undefined || this.aborted) return;
    const signal = this.source.signal;
    this.linked = signal;
    if (signal.aborted) this.abort(signal.reason);
    else signal.addEventListener('abort', this);
  }

  /** The source's signal fired. */
  handleEvent(): void {
    this.abort(this.linked?.reason);
  }
}
