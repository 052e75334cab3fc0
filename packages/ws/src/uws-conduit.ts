import type { Conduit, ConduitEvents, ConnectionInfo } from '@switchyard/stream';
import { SwitchyardError } from '@switchyard/stream';
import { CloseCode, closeCodeFor, truncateReason } from './close-codes.js';

/** The part of a uWS WebSocket the conduit uses; narrow so tests can fake it. */
export interface UwsSocketLike {
  send(message: Uint8Array, isBinary?: boolean, compress?: boolean): number;
  end(code?: number, shortMessage?: string): void;
  cork(cb: () => void): unknown;
  getBufferedAmount(): number;
}

export interface UwsConduitOptions {
  /** After backpressure, `drain` fires once uWS holds fewer bytes than this. */
  drainBelow: number;
  /** Bytes of received messages held while paused (or before attach). */
  maxInboxBytes: number;
}

/** uWS send() results. */
const BACKPRESSURE = 0;
const DROPPED = 2;

/**
 * One uWS WebSocket seen as a stream `Conduit`: binary messages in, bytes out.
 * The stream session's FrameWriter already packs every frame of a turn into one
 * write, so each write leaves at once as one binary WebSocket message (several
 * frames per message, as the protocol allows); `cork` makes it one syscall
 * even when the write happens outside a uWS callback.
 */
export class UwsConduit implements Conduit {
  readonly info: ConnectionInfo;
  private readonly ws: UwsSocketLike;
  private readonly options: UwsConduitOptions;
  private events: ConduitEvents | undefined;

  /** uWS reported backpressure; cleared by its drain event. */
  private blocked = false;

  private paused = false;
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private closeError: Error | undefined;

  private state: 'open' | 'closing' | 'closed' = 'open';

  constructor(ws: UwsSocketLike, info: ConnectionInfo, options: UwsConduitOptions) {
    this.ws = ws;
    this.info = info;
    this.options = options;
  }

  get closed(): boolean {
    return this.state !== 'open';
  }

  /** Bytes uWS holds for this connection because the peer reads slower than we write. */
  get bufferedAmount(): number {
    return this.state === 'closed' ? 0 : this.ws.getBufferedAmount();
  }

  attach(events: ConduitEvents): void {
    if (this.events !== undefined) throw new Error('UwsConduit.attach called twice');
    this.events = events;
    if (!this.paused) this.deliverInbox();
  }

  /** Sends `chunk` as one binary message; false means "wait for drain". */
  write(chunk: Uint8Array): boolean {
    if (this.state !== 'open') return false;
    if (chunk.byteLength === 0) return !this.blocked;
    let status = 1;
    // uWS copies the bytes before send() returns; the caller may reuse them.
    this.ws.cork(() => {
      status = this.ws.send(chunk, true);
    });
    if (status === DROPPED) {
      // uWS dropped the message (maxBackpressure): a lost frame would leave a
      // caller waiting forever, so the connection goes instead.
      this.fail(
        new SwitchyardError('RESOURCE_EXHAUSTED', 'backpressure limit exceeded (peer not reading)'),
      );
      return false;
    }
    if (status === BACKPRESSURE) {
      this.blocked = true;
      return false;
    }
    return true;
  }

  /** uWS drain event: some of its buffered bytes went out. */
  handleDrain(): void {
    if (this.state === 'closed') return;
    if (this.blocked && this.ws.getBufferedAmount() < this.options.drainBelow) {
      this.blocked = false;
      this.events?.drain();
    }
  }

  /** A binary message arrived; `data` is neutered by uWS when this returns. */
  handleMessage(data: ArrayBuffer): void {
    if (this.state !== 'open') return;
    if (this.events !== undefined && !this.paused) {
      // A Buffer view (no copy): the stream decoder would wrap a plain Uint8Array again.
      this.events.data(Buffer.from(data));
      return;
    }
    this.inboxBytes += data.byteLength;
    if (this.inboxBytes > this.options.maxInboxBytes) {
      this.fail(new SwitchyardError('RESOURCE_EXHAUSTED', 'too much data received while paused'));
      return;
    }
    this.inbox.push(new Uint8Array(data.slice(0)));
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deliverInbox();
  }

  private deliverInbox(): void {
    while (this.inbox.length > 0 && !this.paused && this.state === 'open' && this.events) {
      const chunk = this.inbox.shift()!;
      this.inboxBytes -= chunk.byteLength;
      this.events.data(chunk);
    }
  }

  /**
   * Remembers why the session is about to close: the session flushes its
   * GOAWAY and then closes without an error, but the peer should still see
   * the matching close code (1002 for a protocol error) and reason.
   */
  setCloseReason(error: Error): void {
    if (this.state === 'open') this.closeError = error;
  }

  close(error?: Error): void {
    if (this.state !== 'open') return;
    if (error !== undefined) {
      this.fail(error);
      return;
    }
    this.state = 'closing';
    const reason = this.closeError;
    // uWS sends what it buffered (the GOAWAY among it) before the close frame.
    if (reason === undefined) this.ws.end(CloseCode.NORMAL, '');
    else this.ws.end(closeCodeFor(reason), truncateReason(reason.message));
  }

  /** Closes at once with a code derived from `error` and its message as reason. */
  fail(error: Error): void {
    if (this.state === 'closed') return;
    this.closeError = error;
    this.state = 'closing';
    this.ws.end(closeCodeFor(error), truncateReason(error.message));
  }

  /** uWS close event; the socket must not be touched after this. */
  handleClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.inbox = [];
    this.inboxBytes = 0;
    let error = this.closeError;
    if (
      error === undefined &&
      code !== CloseCode.NORMAL &&
      code !== CloseCode.GOING_AWAY &&
      code !== 1005
    ) {
      error = new SwitchyardError(
        'UNAVAILABLE',
        `WebSocket closed with ${code}${reason ? `: ${reason}` : ''}`,
      );
    }
    const events = this.events;
    if (events === undefined) return;
    if (error === undefined) events.close();
    else events.close(error);
  }
}
