import { CallSignal, type Connection, type GatewayHost, type Metadata } from '@switchyard/core';
import { SwitchyardError } from '@switchyard/stream';
import {
  formatEnd,
  formatError,
  formatItem,
  formatOutput,
  parseTextRequest,
  type TextId,
} from './text-protocol.js';

/** Where a text connection writes; implemented over the uWS socket by the gateway. */
export interface TextSink {
  /** Sends one text message; false once the socket is closed. */
  send(text: string): boolean;
  /** Bytes waiting in uWS for this socket. */
  readonly bufferedAmount: number;
  /** Resolves when the socket drained below the high-water mark or closed. */
  drained(): Promise<void>;
}

export interface TextConnectionOptions {
  /** Calls one connection may have running; more get RESOURCE_EXHAUSTED. */
  maxInFlight: number;
  /** A server-stream waits for drain once uWS holds more than this for the socket. */
  highWaterMark: number;
  /** Set by the auth hook at upgrade; wins over keys the client sends. */
  metadata: Metadata | undefined;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function'
  );
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as Record<symbol, unknown>)[Symbol.iterator] === 'function'
  );
}

/**
 * One WebSocket in JSON text mode: parses each message, dispatches it through
 * the edge and writes the answer. Garbage gets an error message and the
 * connection stays; every call is abortable and aborted on close.
 */
export class TextConnection {
  private readonly calls = new Map<TextId, CallSignal>();
  private closed = false;

  constructor(
    private readonly host: GatewayHost,
    private readonly connection: Connection,
    private readonly sink: TextSink,
    private readonly options: TextConnectionOptions,
  ) {}

  get inFlight(): number {
    return this.calls.size;
  }

  handle(text: string): void {
    if (this.closed) return;
    const request = parseTextRequest(text);
    switch (request.kind) {
      case 'invalid':
        this.sink.send(formatError(request.id, request.error));
        return;
      case 'cancel':
        this.calls.get(request.id)?.abort(new SwitchyardError('CANCELLED', 'cancelled by client'));
        return;
      case 'notify':
        this.run(undefined, request.method, request.input, request.metadata, undefined);
        return;
      case 'call':
        if (this.calls.has(request.id)) {
          this.sink.send(
            formatError(
              request.id,
              new SwitchyardError('INVALID_ARGUMENT', 'a call with this id is still running'),
            ),
          );
          return;
        }
        this.run(request.id, request.method, request.input, request.metadata, request.timeout);
        return;
    }
  }

  private metadataFor(client: Record<string, string> | undefined): Metadata | undefined {
    if (this.options.metadata === undefined) return client;
    if (client === undefined) return this.options.metadata;
    return { ...client, ...this.options.metadata };
  }

  private run(
    id: TextId | undefined,
    method: string,
    input: unknown,
    metadata: Record<string, string> | undefined,
    timeout: number | undefined,
  ): void {
    // Notifies count against the limit too: they run handlers all the same.
    if (this.calls.size >= this.options.maxInFlight) {
      if (id !== undefined) {
        this.sink.send(
          formatError(
            id,
            new SwitchyardError(
              'RESOURCE_EXHAUSTED',
              `too many calls in flight on this connection (max ${this.options.maxInFlight})`,
            ),
          ),
        );
      }
      return;
    }
    const entry = this.host.lookup(method);
    if (entry !== undefined && (entry.kind === 'client-stream' || entry.kind === 'bidi')) {
      if (id !== undefined) {
        this.sink.send(
          formatError(
            id,
            new SwitchyardError(
              'UNIMPLEMENTED',
              `${entry.kind} methods are not available in text mode; use binary mode`,
            ),
          ),
        );
      }
      return;
    }
    const controller = new CallSignal();
    // Notifies have no client-visible id; a symbol-free unique key keeps them counted.
    const key: TextId = id ?? `\0notify:${++this.notifySeq}`;
    this.calls.set(key, controller);
    const meta = this.metadataFor(metadata);
    const request = {
      method: entry ?? method,
      input,
      connection: this.connection,
      signal: controller.asAbortSignal(),
      ...(meta === undefined ? {} : { metadata: meta }),
      ...(timeout === undefined ? {} : { deadline: performance.now() + timeout }),
    };
    this.host.dispatch(request).then(
      (result) => this.answer(key, id, result, controller, entry?.kind === 'server-stream'),
      (error: unknown) => {
        this.calls.delete(key);
        if (id !== undefined) this.sink.send(formatError(id, SwitchyardError.from(error)));
      },
    );
  }

  private notifySeq = 0;

  private answer(
    key: TextId,
    id: TextId | undefined,
    result: unknown,
    signal: CallSignal,
    streaming: boolean,
  ): void {
    if (id === undefined) {
      this.calls.delete(key);
      return;
    }
    // Only the method's kind decides: a unary result may itself be iterable (bytes, arrays).
    if (streaming && (isAsyncIterable(result) || isIterable(result))) {
      this.streamOut(key, id, result, signal).then(
        () => this.calls.delete(key),
        () => this.calls.delete(key),
      );
      return;
    }
    this.calls.delete(key);
    this.sink.send(formatOutput(id, result));
  }

  /** Sends server-stream items, waiting for drain so a slow reader bounds our memory. */
  private async streamOut(
    _key: TextId,
    id: TextId,
    items: AsyncIterable<unknown> | Iterable<unknown>,
    signal: CallSignal,
  ): Promise<void> {
    try {
      for await (const item of items) {
        if (signal.aborted || this.closed) return;
        const text = formatItem(id, item);
        if (typeof text !== 'string') throw text;
        if (!this.sink.send(text)) return;
        if (this.sink.bufferedAmount > this.options.highWaterMark) await this.sink.drained();
      }
      if (!signal.aborted && !this.closed) this.sink.send(formatEnd(id));
    } catch (error) {
      if (!this.closed)
        this.sink.send(formatError(id, SwitchyardError.from(signal.reason ?? error)));
    }
  }

  /** The socket closed: abort every running call. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const reason = new SwitchyardError('CANCELLED', 'connection closed');
    for (const controller of this.calls.values()) controller.abort(reason);
    this.calls.clear();
  }
}
