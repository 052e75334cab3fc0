import type { Socket } from 'node:net';
import type { Conduit, ConduitEvents, ConnectionInfo } from '@switchyard/stream';
import { SwitchyardError } from '@switchyard/stream';

let nextId = 0;
const MAX_EARLY_BYTES = 1024 * 1024;

export interface SocketConduitOptions {
  /** 'tcp', 'tls' or 'unix'. */
  transport: string;
  /** Close after this many ms without any byte in either direction (0 = never). */
  idleTimeout?: number;
  /** Bytes queued in userland before `write()` reports backpressure (default 1 MiB). */
  maxQueuedBytes?: number;
  /** After a graceful close, destroy the socket if the peer has not finished within this many ms (default 5000). */
  closeTimeout?: number;
}

/**
 * A Conduit over a node:net (or node:tls) socket: the thin I/O driver under
 * the stream session. Nagle is off (the session batches by itself), reads are
 * delivered as they come, and `write()` reports the socket's backpressure.
 */
export class SocketConduit implements Conduit {
  readonly info: ConnectionInfo;
  /** node:net allocates a fresh Buffer per read: the session may keep views into chunks. */
  readonly stableChunks = true;
  private events: ConduitEvents | undefined;
  private isClosed = false;
  private closeEmitted = false;
  private readonly closeTimeout: number;
  private readonly maxQueued: number;
  private early: Uint8Array[] | undefined = [];
  private earlyBytes = 0;
  private earlyEnd: { error?: Error } | undefined;

  constructor(
    readonly socket: Socket,
    options: SocketConduitOptions,
  ) {
    this.closeTimeout = options.closeTimeout ?? 5000;
    this.maxQueued = options.maxQueuedBytes ?? 1024 * 1024;
    const unix = options.transport === 'unix';
    this.info = {
      id: `${options.transport}-${++nextId}`,
      transport: options.transport,
      ...(!unix && socket.remoteAddress ? { remoteAddress: socket.remoteAddress } : {}),
      ...(!unix && socket.remotePort ? { remotePort: socket.remotePort } : {}),
    };
    if (!unix) socket.setNoDelay(true);
    if (options.idleTimeout && options.idleTimeout > 0) {
      socket.setTimeout(options.idleTimeout, () => {
        this.close(new SwitchyardError('UNAVAILABLE', `idle for ${options.idleTimeout} ms`));
      });
    }
    socket.on('data', (chunk: Buffer) => {
      if (this.events) {
        this.events.data(chunk);
        return;
      }
      // Bytes before attach() are held, within a bound.
      this.earlyBytes += chunk.length;
      if (this.earlyBytes > MAX_EARLY_BYTES) {
        this.close(
          new SwitchyardError(
            'RESOURCE_EXHAUSTED',
            'too many bytes before the conduit was attached',
          ),
        );
        return;
      }
      this.early?.push(chunk);
    });
    socket.on('drain', () => this.events?.drain());
    socket.on('error', (error) => {
      this.finish(error);
    });
    socket.on('close', () => {
      this.finish(undefined);
    });
    socket.on('end', () => {
      // The peer finished sending; we have nothing more to say either.
      if (!socket.destroyed) socket.end();
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  private finish(error: Error | undefined): void {
    this.isClosed = true;
    if (this.closeEmitted) return;
    if (!this.events) {
      this.earlyEnd ??= error ? { error } : {};
      return;
    }
    this.closeEmitted = true;
    this.events.close(error);
  }

  attach(events: ConduitEvents): void {
    if (this.events) throw new SwitchyardError('FAILED_PRECONDITION', 'conduit already attached');
    this.events = events;
    const early = this.early;
    this.early = undefined;
    if (early) for (const c of early) events.data(c);
    if (this.earlyEnd) {
      this.closeEmitted = true;
      events.close(this.earlyEnd.error);
    }
  }

  write(chunk: Uint8Array): boolean {
    if (this.isClosed || this.socket.destroyed) return false;
    // node:net reports false whenever one write exceeds its 16 KiB high-water
    // mark, even when the kernel took the bytes at once. A batched writer
    // routinely writes more than that; waiting for 'drain' each time would
    // stall it. Report backpressure only when bytes really queue in userland.
    return this.socket.write(chunk) || this.socket.writableLength <= this.maxQueued;
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(error?: Error): void {
    if (this.isClosed) return;
    this.isClosed = true;
    if (error) {
      this.socket.destroy();
      if (!this.closeEmitted && this.events) {
        this.closeEmitted = true;
        this.events.close(error);
      }
      return;
    }
    this.socket.end();
    // A peer that never reads would keep a half-closed socket forever.
    const t = setTimeout(() => this.socket.destroy(), this.closeTimeout);
    t.unref();
    this.socket.once('close', () => clearTimeout(t));
  }
}
