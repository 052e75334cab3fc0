import type { Conduit, ConduitEvents, ConnectionInfo } from '@switchyard/stream';
import { SwitchyardError } from '@switchyard/stream';

/**
 * The WHATWG WebSocket surface both the browser's native WebSocket and the
 * Node `ws` package offer; the client conduit uses nothing else, so one
 * implementation serves both (and tests can pass a fake).
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  readonly protocol: string;
  send(data: ArrayBufferView | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export const OPEN = 1;

export interface SocketConduitOptions {
  /** write() returns false above this many buffered bytes (default 1 MiB). */
  highWaterMark?: number;
  /** How often to look at `bufferedAmount` while waiting for drain, ms (browsers have no drain event). */
  drainPollMs?: number;
  /** Bytes held while paused before the connection is closed (default 8 MiB). */
  maxInboxBytes?: number;
}

let nextId = 0;

/**
 * A client WebSocket as a stream `Conduit`. Writes go out at once: the session's
 * frame writer already packs one turn's frames into one write, which becomes
 * one binary message. Must stay free of Node built-ins: the browser bundle uses it.
 */
export class SocketConduit implements Conduit {
  readonly info: ConnectionInfo;
  private events: ConduitEvents | undefined;
  private readonly highWaterMark: number;
  private readonly drainPollMs: number;
  private readonly maxInboxBytes: number;
  private drainTimer: ReturnType<typeof setTimeout> | undefined;
  private paused = false;
  private inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private closeError: Error | undefined;

  constructor(
    private readonly socket: WebSocketLike,
    remote: string,
    options: SocketConduitOptions = {},
  ) {
    this.info = { id: `ws-client-${++nextId}`, transport: 'ws', remoteAddress: remote };
    this.highWaterMark = options.highWaterMark ?? 1024 * 1024;
    this.drainPollMs = options.drainPollMs ?? 5;
    this.maxInboxBytes = options.maxInboxBytes ?? 8 * 1024 * 1024;
    socket.binaryType = 'arraybuffer';
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = (event) => this.onClose(event.code, event.reason);
    socket.onerror = () => {
      // The close event follows with the details; nothing to do here.
    };
  }

  get closed(): boolean {
    return this.state !== 'open';
  }

  attach(events: ConduitEvents): void {
    if (this.events !== undefined) throw new Error('SocketConduit.attach called twice');
    this.events = events;
    this.deliverInbox();
  }

  write(chunk: Uint8Array): boolean {
    if (this.state !== 'open' || this.socket.readyState !== OPEN) return false;
    this.socket.send(chunk);
    if (this.socket.bufferedAmount <= this.highWaterMark) return true;
    this.waitForDrain();
    return false;
  }

  private waitForDrain(): void {
    if (this.drainTimer !== undefined) return;
    const check = (): void => {
      this.drainTimer = undefined;
      if (this.state === 'closed') return;
      if (this.socket.bufferedAmount > this.highWaterMark / 2) {
        this.drainTimer = setTimeout(check, this.drainPollMs);
        return;
      }
      this.events?.drain();
    };
    this.drainTimer = setTimeout(check, this.drainPollMs);
  }

  private onMessage(data: unknown): void {
    if (this.state === 'closed') return;
    if (typeof data === 'string') {
      this.fail(new SwitchyardError('PROTOCOL_ERROR', 'unexpected text message in binary mode'));
      return;
    }
    let bytes: Uint8Array;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data))
      bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else {
      this.fail(new SwitchyardError('PROTOCOL_ERROR', 'unsupported message type'));
      return;
    }
    if (this.events !== undefined && !this.paused) {
      this.events.data(bytes);
      return;
    }
    this.inboxBytes += bytes.byteLength;
    if (this.inboxBytes > this.maxInboxBytes) {
      this.fail(new SwitchyardError('RESOURCE_EXHAUSTED', 'too much data received while paused'));
      return;
    }
    this.inbox.push(bytes);
  }

  pause(): void {
    // Neither WebSocket API can stop reading; messages wait here, bounded.
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.deliverInbox();
  }

  private deliverInbox(): void {
    while (this.inbox.length > 0 && !this.paused && this.state !== 'closed' && this.events) {
      const chunk = this.inbox.shift()!;
      this.inboxBytes -= chunk.byteLength;
      this.events.data(chunk);
    }
  }

  close(error?: Error): void {
    if (this.state !== 'open') return;
    if (error !== undefined) {
      this.fail(error);
      return;
    }
    this.state = 'closing';
    this.socket.close(1000, '');
  }

  private fail(error: Error): void {
    if (this.state === 'closed') return;
    this.closeError = error;
    this.state = 'closing';
    const code = error instanceof SwitchyardError && error.code === 'PROTOCOL_ERROR' ? 1002 : 1008;
    // Browsers only allow 1000 and 3000–4999 from scripts; fall back to 1000.
    try {
      this.socket.close(code, error.message.slice(0, 100));
    } catch {
      this.socket.close(1000, error.message.slice(0, 100));
    }
  }

  private onClose(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    this.inbox = [];
    this.inboxBytes = 0;
    let error = this.closeError;
    if (error === undefined && code !== 1000 && code !== 1001 && code !== 1005) {
      error = new SwitchyardError(
        code === 1008 || code === 1009 ? 'RESOURCE_EXHAUSTED' : 'UNAVAILABLE',
        `WebSocket closed with ${code}${reason ? `: ${reason}` : ''}`,
      );
    }
    const events = this.events;
    if (events === undefined) return;
    if (error === undefined) events.close();
    else events.close(error);
  }
}
