import type { HttpResponse } from 'uWebSockets.js';

/** What the reader reports back: the whole body, or that it grew past the limit. */
export interface BodySink {
  /** False once the exchange ended (aborted, timed out): chunks are then dropped. */
  readonly done: boolean;
  bodyTooLarge(limit: number): void;
  bodyComplete(body: Buffer): void;
}

/**
 * Collects a request body from uWS `onData`, never holding more than `limit`
 * bytes. With a Content-Length the body is copied straight into one buffer of
 * that size; a chunked body is kept as copied chunks and joined once.
 */
export class BodyReader {
  private buffer: Buffer | undefined;
  private chunks: Buffer[] | undefined;
  private received = 0;

  constructor(
    private readonly sink: BodySink,
    private readonly limit: number,
    /** Content-Length (already checked against `limit`), or -1 when chunked. */
    expected: number,
  ) {
    if (expected >= 0) this.buffer = Buffer.allocUnsafe(expected);
    else this.chunks = [];
  }

  start(res: HttpResponse): void {
    res.onData((chunk, isLast) => this.onChunk(chunk, isLast));
  }

  private onChunk(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.sink.done) {
      this.drop();
      return;
    }
    const total = this.received + chunk.byteLength;
    if (total > this.limit || (this.buffer !== undefined && total > this.buffer.length)) {
      this.drop();
      this.sink.bodyTooLarge(this.limit);
      return;
    }
    // uWS neuters `chunk` when this callback returns: copy it now.
    if (this.buffer !== undefined) this.buffer.set(new Uint8Array(chunk), this.received);
    else this.chunks?.push(Buffer.from(new Uint8Array(chunk)));
    this.received = total;
    if (!isLast) return;
    const body =
      this.buffer !== undefined
        ? this.buffer.subarray(0, total)
        : Buffer.concat(this.chunks ?? [], total);
    this.drop();
    this.sink.bodyComplete(body);
  }

  private drop(): void {
    this.buffer = undefined;
    this.chunks = undefined;
  }
}
