import type { Conduit, ConduitEvents, ConnectionInfo } from './conduit.js';
import { SwitchyardError } from './error.js';

let nextId = 0;

export interface ConduitPairOptions {
  /** Bytes queued towards a side before `write()` returns false (default 1 MiB). */
  highWaterMark?: number;
}

/**
 * One end of an in-memory pipe. Delivery is asynchronous (setImmediate), like
 * a socket, and respects pause/resume and a high-water mark, so tests see
 * real backpressure and real interleavings.
 */
class MemoryConduit implements Conduit {
  readonly info: ConnectionInfo;
  peer!: MemoryConduit;
  private events: ConduitEvents | undefined;
  private readonly inbound: Uint8Array[] = [];
  private inboundBytes = 0;
  private paused = false;
  private scheduled = false;
  private isClosed = false;
  private closing = false;
  private closeError: Error | undefined;
  private peerWantsDrain = false;
  private closeEmitted = false;

  constructor(private readonly highWater: number) {
    this.info = { id: `mem-${++nextId}`, transport: 'memory' };
  }

  get closed(): boolean {
    return this.isClosed;
  }

  attach(events: ConduitEvents): void {
    if (this.events) throw new SwitchyardError('FAILED_PRECONDITION', 'conduit already attached');
    this.events = events;
    this.schedule();
  }

  write(chunk: Uint8Array): boolean {
    if (this.isClosed || this.closing) return false;
    return this.peer.enqueue(chunk);
  }

  private enqueue(chunk: Uint8Array): boolean {
    if (this.isClosed) return false;
    this.inbound.push(chunk);
    this.inboundBytes += chunk.length;
    this.schedule();
    if (this.inboundBytes > this.highWater) {
      this.peer.peerWantsDrain = true;
      return false;
    }
    return true;
  }

  private schedule(): void {
    if (this.scheduled || !this.events) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.deliver();
    });
  }

  private deliver(): void {
    const ev = this.events;
    if (!ev) return;
    while (!this.paused && this.inbound.length > 0 && !this.closeEmitted) {
      const c = this.inbound.shift()!;
      this.inboundBytes -= c.length;
      ev.data(c);
    }
    if (this.inboundBytes <= this.highWater && this.peer.peerWantsDrain) {
      this.peer.peerWantsDrain = false;
      this.peer.events?.drain();
    }
    if (this.isClosed && this.inbound.length === 0) this.emitClose();
  }

  private emitClose(): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.events?.close(this.closeError);
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.schedule();
  }

  close(error?: Error): void {
    if (this.isClosed || this.closing) return;
    if (error) {
      this.shut(error, true);
      this.peer.shut(new SwitchyardError('UNAVAILABLE', 'connection reset by peer'), true);
      return;
    }
    // Graceful: the peer first receives what is already queued towards it.
    this.closing = true;
    this.shut(undefined, false);
    this.peer.shut(undefined, false);
  }

  private shut(error: Error | undefined, drop: boolean): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeError = error;
    if (drop) {
      this.inbound.length = 0;
      this.inboundBytes = 0;
    }
    if (this.events) {
      setImmediate(() => {
        if (this.inbound.length === 0 || this.paused) this.emitClose();
        else this.schedule();
      });
    }
  }
}

/** Two connected in-memory conduits, for tests and in-process use. */
export function createConduitPair(options: ConduitPairOptions = {}): [Conduit, Conduit] {
  const hw = options.highWaterMark ?? 1024 * 1024;
  const a = new MemoryConduit(hw);
  const b = new MemoryConduit(hw);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
