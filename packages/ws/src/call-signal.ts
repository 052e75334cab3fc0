import type { IncomingCall } from '@switchyard/stream';

/**
 * Creating an AbortController costs ~30 µs on the 2-core dev machine (Node 20):
 * one per call caps a gateway near 40k calls/s, whatever else it does. The
 * edge only uses the caller's signal for `aborted`, `reason` and one
 * add/removeEventListener('abort') pair, so gateways hand it this small
 * stand-in instead; the handler still gets a real `ctx.signal` from the edge,
 * created only if it reads it.
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
    // The edge registers one listener per call; a second replaces nothing silently.
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

const pending = new Set<LinkedCallSignal>();
let sweepScheduled = false;

function sweep(): void {
  sweepScheduled = false;
  for (const signal of pending) signal.link();
  pending.clear();
}

/**
 * A CallSignal for a stream-session call. Most calls finish within the turn
 * that received them; only calls still running at the end of the turn pay
 * for the session's real AbortSignal (CANCEL, deadline, disconnect then reach
 * the handler within one turn).
 */
export class LinkedCallSignal extends CallSignal {
  private linked: AbortSignal | undefined;

  constructor(private readonly call: IncomingCall) {
    super();
  }

  protected override onListen(): void {
    pending.add(this);
    if (!sweepScheduled) {
      sweepScheduled = true;
      setImmediate(sweep);
    }
  }

  protected override onUnlisten(): void {
    pending.delete(this);
    this.linked?.removeEventListener('abort', this);
  }

  /** Connects to the session's signal; called once per turn for calls still running. */
  link(): void {
    if (this.linked !== undefined || this.aborted) return;
    const signal = this.call.signal;
    this.linked = signal;
    if (signal.aborted) this.abort(signal.reason);
    else signal.addEventListener('abort', this);
  }

  /** The session's signal fired. */
  handleEvent(): void {
    this.abort(this.linked?.reason);
  }
}
