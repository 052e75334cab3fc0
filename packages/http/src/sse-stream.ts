import { SwitchyardError } from '@switchyard/core';
import { type Exchange, errorBody } from './exchange.js';

export interface SseOptions {
  /** Close a stream whose client has not drained for this long (ms). */
  stallTimeout: number;
  /** Comment line sent when a stream has been silent this long (ms); keeps uWS's idle timer alive. */
  heartbeat: number;
}

const END_EVENT = 'event: end\ndata: {}\n\n';

/**
 * A server-streaming result written as Server-Sent Events: one `data:` event
 * per item (JSON), then `event: end`, or `event: error` with `{code, message,
 * data}`. The next item is pulled only once uWS accepted the previous one
 * without buffering, so a client that stops reading holds at most one event in
 * memory and stalls its own producer, nobody else's.
 */
export class SseStream {
  private waiter: ((writable: boolean) => void) | undefined;
  private stallTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastWrite = Date.now();
  private finished = false;

  constructor(
    private readonly exchange: Exchange,
    private readonly source: AsyncIterable<unknown> | Iterable<unknown>,
    private readonly options: SseOptions,
    private readonly onFinish: () => void,
  ) {}

  start(): void {
    const ex = this.exchange;
    ex.onAbort = () => this.wake(false);
    if (ex.aborted) {
      this.finish();
      return;
    }
    const res = ex.res;
    res.cork(() => {
      res.writeHeader('content-type', 'text/event-stream');
      res.writeHeader('cache-control', 'no-cache');
      // Tell buffering proxies to pass events through as they come.
      res.writeHeader('x-accel-buffering', 'no');
      ex.writeCors(res, ex.origin);
      res.write(': stream\n\n');
    });
    res.onWritable(() => {
      this.wake(true);
      return true;
    });
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeat);
    this.heartbeatTimer.unref();
    this.pump().catch((error: unknown) => {
      ex.host.reportError(error);
      this.finish();
    });
  }

  private beat(): void {
    if (this.exchange.aborted || this.waiter !== undefined) return;
    if (Date.now() - this.lastWrite < this.options.heartbeat) return;
    this.write(': ping\n\n');
  }

  /** Returns false when uWS had to buffer the chunk (the client is behind). */
  private write(chunk: string): boolean {
    let ok = false;
    this.lastWrite = Date.now();
    this.exchange.res.cork(() => {
      ok = this.exchange.res.write(chunk);
    });
    return ok;
  }

  private wake(writable: boolean): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.stallTimer = undefined;
    waiter?.(writable);
  }

  /** Resolves true on drain, false on abort or after the stall timeout. */
  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.stallTimer = setTimeout(() => this.wake(false), this.options.stallTimeout);
      this.stallTimer.unref();
    });
  }

  private async pump(): Promise<void> {
    const ex = this.exchange;
    let iterator: AsyncIterator<unknown> | Iterator<unknown> | undefined;
    let error: SwitchyardError | undefined;
    let stalled = false;
    try {
      iterator =
        Symbol.asyncIterator in this.source
          ? this.source[Symbol.asyncIterator]()
          : (this.source as Iterable<unknown>)[Symbol.iterator]();
      while (!ex.aborted) {
        const step = await iterator.next();
        if (ex.aborted || step.done === true) break;
        const data = JSON.stringify(step.value) ?? 'null';
        if (this.write(`data: ${data}\n\n`)) continue;
        if (!(await this.drained()) && !ex.aborted) {
          stalled = true;
          break;
        }
      }
    } catch (cause) {
      error = SwitchyardError.from(cause);
    }
    if (ex.aborted || stalled || error !== undefined) {
      // Stop the producer (runs its finally blocks); its own failure is moot now.
      try {
        await iterator?.return?.();
      } catch {}
    }
    if (!ex.aborted) {
      const res = ex.res;
      res.cork(() => {
        if (stalled) {
          // The client stopped reading: drop it rather than buffer without end.
          res.close();
        } else if (error !== undefined) {
          res.end(`event: error\ndata: ${errorBody(error)}\n\n`);
        } else {
          res.end(END_EVENT);
        }
      });
    }
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    if (this.stallTimer !== undefined) clearTimeout(this.stallTimer);
    this.onFinish();
  }
}
