import { SwitchyardError } from '@switchyard/stream';
import { coarseNow } from './clock.js';
import { type Connection, EMPTY_METADATA, type Metadata } from './connection.js';
import type { Context } from './context.js';
import { isThenable, toPublicError } from './errors.js';
import type { DispatchRequest } from './gateway.js';
import type { Logger } from './logger.js';
import type { MethodEntry } from './method-entry.js';
import type { MethodRuntime } from './method-runtime.js';
import type { Next } from './middleware.js';
import { type StandardSchemaV1, toWireIssues } from './schema.js';
import type { TimerWheel, WheelEntry } from './timer-wheel.js';

/** The parts of the edge a call talks to. */
export interface CallOwner {
  readonly wheel: TimerWheel;
  readonly logger: Logger;
  /** Links a call that went asynchronous into the in-flight list. */
  track(call: Call): void;
  /** Unlinks it once its result (or its last stream item) was delivered. */
  untrack(call: Call): void;
  publish(topic: string, value: unknown): void;
}

/** Receives the resolving functions of the promise being built (executors run synchronously). */
const captured: {
  resolve: ((value: unknown) => void) | undefined;
  reject: ((error: unknown) => void) | undefined;
} = { resolve: undefined, reject: undefined };

function capture(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  captured.resolve = resolve;
  captured.reject = reject;
}

function invalidInput(method: string, issues: readonly StandardSchemaV1.Issue[]): SwitchyardError {
  return new SwitchyardError('INVALID_ARGUMENT', `invalid input for ${method}`, {
    data: { issues: toWireIssues(issues) },
  });
}

/**
 * One call: it is the handler's Context, the deadline-wheel entry and the
 * in-flight list node at once, so a call costs one object plus one promise.
 */
export class Call implements Context, WheelEntry {
  input: unknown = undefined;
  // Timer wheel links.
  wheelAt = 0;
  wheelPrev: WheelEntry | null = null;
  wheelNext: WheelEntry | null = null;
  wheelSlot = -1;
  // In-flight list links (owned by the edge).
  flightPrev: Call | null = null;
  flightNext: Call | null = null;
  tracked = false;
  /** Set once the call was aborted (deadline, cancel, shutdown): the error the caller gets. */
  abortReason: SwitchyardError | undefined = undefined;
  /** Wakes a stream consumer waiting for the next item when the call is aborted. */
  abortWaiter: ((error: SwitchyardError) => void) | undefined = undefined;
  private settled = false;
  private resolveFn: ((value: unknown) => void) | undefined = undefined;
  private rejectFn: ((error: unknown) => void) | undefined = undefined;
  private controller: AbortController | undefined = undefined;
  private storeMap: Map<unknown, unknown> | undefined = undefined;

  // Few fields on purpose: allocating this object is a measurable part of a dispatch,
  // so the request's own fields are read through `req` instead of being copied.
  constructor(
    readonly rt: MethodRuntime,
    readonly owner: CallOwner,
    private readonly req: DispatchRequest,
    /** NaN until needed: then the start of the wait plus the method timeout (saves a clock read per sync call). */
    private deadlineAt: number,
  ) {}

  get connection(): Connection {
    return this.req.connection;
  }

  get metadata(): Metadata {
    return this.req.metadata ?? EMPTY_METADATA;
  }

  get method(): MethodEntry {
    return this.rt.entry;
  }

  get deadline(): number {
    if (Number.isNaN(this.deadlineAt)) this.deadlineAt = coarseNow() + this.rt.timeout;
    return this.deadlineAt;
  }

  get logger(): Logger {
    return this.owner.logger;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get store(): Map<unknown, unknown> {
    if (this.storeMap === undefined) this.storeMap = new Map();
    return this.storeMap;
  }

  remaining(): number {
    const deadline = this.deadline;
    if (deadline === Number.POSITIVE_INFINITY) return deadline;
    return Math.max(0, deadline - coarseNow());
  }

  push(topic: string, value: unknown): void {
    const conn = this.connection;
    if (conn.push === undefined) {
      throw new SwitchyardError(
        'UNIMPLEMENTED',
        `gateway '${conn.gateway}' cannot push to its clients`,
      );
    }
    conn.push(topic, value);
  }

  subscribe(topic: string): void {
    const conn = this.connection;
    if (conn.subscribe === undefined) {
      throw new SwitchyardError('UNIMPLEMENTED', `gateway '${conn.gateway}' has no topics`);
    }
    conn.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    this.connection.unsubscribe?.(topic);
  }

  publish(topic: string, value: unknown): void {
    this.owner.publish(topic, value);
  }

  /**
   * Validates the input, runs middleware and handler. A call that completes
   * synchronously returns its output (or output stream) as is; otherwise a
   * promise that settles once. Failures are always a rejected promise.
   */
  run(): unknown {
    const schema = this.rt.input;
    if (schema === undefined || this.rt.streamsIn) {
      this.input = this.req.input;
      return this.invoke();
    }
    let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
    try {
      result = schema['~standard'].validate(this.req.input);
    } catch (error) {
      return Promise.reject(toPublicError(error, this.owner.logger, this.rt.entry.name));
    }
    if (isThenable(result)) return this.wait(this.validateAsync(result));
    if (result.issues !== undefined) {
      return Promise.reject(invalidInput(this.rt.entry.name, result.issues));
    }
    this.input = result.value;
    return this.invoke();
  }

  /** Rare path: a schema whose validation is asynchronous. */
  private async validateAsync(
    pending: PromiseLike<StandardSchemaV1.Result<unknown>>,
  ): Promise<unknown> {
    const result = await pending;
    if (result.issues !== undefined) throw invalidInput(this.rt.entry.name, result.issues);
    this.input = result.value;
    return this.rt.middleware.length === 0 ? this.callHandler() : this.runChain(0);
  }

  /** The handler itself, with the input shape its kind expects. */
  callHandler(): unknown {
    const rt = this.rt;
    if (!rt.streamsIn) return rt.handler(this.input, this);
    const source = this.req.inputStream;
    if (source === undefined) {
      throw new SwitchyardError('INVALID_ARGUMENT', `${rt.entry.name} expects an input stream`);
    }
    return rt.handler(
      rt.input === undefined ? source : validateItems(source, rt.input, rt.entry.name),
      this,
    );
  }

  private invoke(): unknown {
    let result: unknown;
    try {
      result = this.rt.middleware.length === 0 ? this.callHandler() : this.runChain(0);
    } catch (error) {
      return Promise.reject(toPublicError(error, this.owner.logger, this.rt.entry.name));
    }
    if (isThenable(result)) return this.wait(result);
    if (this.rt.streamsOut) {
      // A synchronous handler returned the stream: it still runs after we return.
      this.owner.track(this);
      this.settled = true;
      return this.toOutputStream(result);
    }
    // The synchronous fast path: no promise, the gateway can answer in this tick.
    const error = this.checkOutput(result);
    return error === undefined ? result : Promise.reject(error);
  }

  /** Middleware at `index` with its own `next`; the last `next` runs the handler. */
  runChain(index: number): Promise<unknown> {
    const rt = this.rt;
    if (index === rt.middleware.length) {
      try {
        return Promise.resolve(this.callHandler());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const mw = rt.middleware[index]!;
    const repeatable = rt.reentrant[index] === true;
    let calls = 0;
    let pending = false;
    const idle = (): void => {
      pending = false;
    };
    const next: Next = () => {
      if (pending || (calls > 0 && !repeatable)) {
        return Promise.reject(
          new SwitchyardError(
            'INTERNAL',
            `middleware '${mw.name || `#${index}`}' called next() twice in ${rt.entry.name}`,
          ),
        );
      }
      if (this.abortReason) return Promise.reject(this.abortReason);
      calls++;
      pending = true;
      const p = this.runChain(index + 1);
      p.then(idle, idle);
      return p;
    };
    try {
      return Promise.resolve(mw(this, next));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The call went asynchronous: hand out a promise the call settles itself, so
   * a deadline or a cancel can answer even while the handler never returns.
   * No closure is created per call (see `capture` and `follow`).
   */
  private wait(pending: PromiseLike<unknown>): Promise<unknown> {
    const promise = new Promise<unknown>(capture);
    this.resolveFn = captured.resolve;
    this.rejectFn = captured.reject;
    this.owner.track(this);
    void this.follow(pending);
    return promise;
  }

  private async follow(pending: PromiseLike<unknown>): Promise<void> {
    let value: unknown;
    try {
      value = await pending;
    } catch (error) {
      this.settleError(error);
      return;
    }
    this.settleValue(value);
  }

  private settleValue(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    if (this.rt.streamsOut) {
      this.resolveFn!(this.toOutputStream(value));
      return;
    }
    this.owner.untrack(this);
    const error = this.checkOutput(value);
    if (error === undefined) this.resolveFn!(value);
    else this.rejectFn!(error);
  }

  private settleError(error: unknown): void {
    if (this.settled) return;
    this.settled = true;
    this.owner.untrack(this);
    this.rejectFn!(toPublicError(error, this.owner.logger, this.rt.entry.name));
  }

  /** The output schema check: a result that fails it is a server bug, INTERNAL. */
  checkOutput(value: unknown): SwitchyardError | undefined {
    const schema = this.rt.output;
    if (schema === undefined) return undefined;
    let result: StandardSchemaV1.Result<unknown> | Promise<StandardSchemaV1.Result<unknown>>;
    try {
      result = schema['~standard'].validate(value);
    } catch (error) {
      return toPublicError(error, this.owner.logger, this.rt.entry.name);
    }
    if (isThenable(result)) {
      // Async output schemas cannot be checked on the synchronous reply path: refuse loudly.
      return this.outputError([{ message: 'async output schemas are not supported' }]);
    }
    return result.issues === undefined ? undefined : this.outputError(result.issues);
  }

  private outputError(issues: readonly StandardSchemaV1.Issue[]): SwitchyardError {
    this.owner.logger.error('handler output failed its schema', {
      method: this.rt.entry.name,
      issues: toWireIssues(issues),
    });
    return new SwitchyardError('INTERNAL', `${this.rt.entry.name} produced an invalid output`);
  }

  private toOutputStream(value: unknown): AsyncIterableIterator<unknown> {
    const stream = new OutputStream(this, value);
    if (stream.failed) {
      this.owner.untrack(this);
      // Delivered as the first next() rejection: the dispatch promise already resolved.
    }
    return stream;
  }

  /** Deadline reached (called by the timer wheel). */
  expire(): void {
    this.abort(
      new SwitchyardError('DEADLINE_EXCEEDED', `deadline exceeded in ${this.rt.entry.name}`),
    );
  }

  /** The caller's signal fired (this object is the event listener: no closure per call). */
  handleEvent(): void {
    this.abort(new SwitchyardError('CANCELLED', `${this.rt.entry.name} cancelled by the caller`));
  }

  /** Ends the call with `error` now; the handler learns it from `ctx.signal`. */
  abort(error: SwitchyardError): void {
    if (this.abortReason !== undefined) return;
    this.abortReason = error;
    this.controller?.abort(error);
    const waiter = this.abortWaiter;
    this.abortWaiter = undefined;
    waiter?.(error);
    if (!this.settled) {
      this.settled = true;
      this.owner.untrack(this);
      this.rejectFn?.(error);
    } else if (waiter === undefined) {
      // A stream nobody is waiting on: end it so the in-flight count drops.
      this.owner.untrack(this);
    }
  }

  /** Arms the deadline and the caller's signal; called by the edge when the call is tracked. */
  armWatchers(now: number): void {
    if (Number.isNaN(this.deadlineAt)) this.deadlineAt = now + this.rt.timeout;
    if (this.deadlineAt !== Number.POSITIVE_INFINITY)
      this.owner.wheel.add(this, this.deadlineAt, now);
    this.req.signal?.addEventListener('abort', this);
  }

  disarmWatchers(): void {
    if (this.wheelSlot >= 0) this.owner.wheel.remove(this);
    this.req.signal?.removeEventListener('abort', this);
  }
}

async function* validateItems(
  source: AsyncIterable<unknown>,
  schema: StandardSchemaV1,
  method: string,
): AsyncGenerator<unknown, void, undefined> {
  for await (const item of source) {
    let result = schema['~standard'].validate(item);
    if (isThenable(result)) result = await result;
    if (result.issues !== undefined) throw invalidInput(method, result.issues);
    yield result.value;
  }
}

type AnyIterator = Iterator<unknown> | AsyncIterator<unknown>;

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

/**
 * The output of a streaming method as gateways consume it: validates each item,
 * stops at the deadline or on cancel (even while the handler is stuck awaiting),
 * and releases the call exactly once however the consumer stops.
 */
class OutputStream implements AsyncIterableIterator<unknown> {
  private iterator: AnyIterator | undefined;
  private finished = false;
  readonly failed: SwitchyardError | undefined;

  constructor(
    private readonly call: Call,
    source: unknown,
  ) {
    const s = source as {
      [Symbol.asyncIterator]?: () => AnyIterator;
      [Symbol.iterator]?: () => AnyIterator;
    };
    if (s !== null && typeof s === 'object' && typeof s[Symbol.asyncIterator] === 'function') {
      this.iterator = s[Symbol.asyncIterator]!();
    } else if (s !== null && typeof s === 'object' && typeof s[Symbol.iterator] === 'function') {
      this.iterator = s[Symbol.iterator]!();
    } else {
      call.owner.logger.error('stream handler did not return an iterable', {
        method: call.rt.entry.name,
      });
      this.failed = new SwitchyardError(
        'INTERNAL',
        `${call.rt.entry.name} produced an invalid output`,
      );
      this.finished = true;
    }
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }

  async next(): Promise<IteratorResult<unknown>> {
    if (this.failed) {
      const error = this.failed;
      (this as { failed: SwitchyardError | undefined }).failed = undefined;
      throw error;
    }
    if (this.finished) return DONE;
    const call = this.call;
    if (call.abortReason) {
      this.finish(true);
      throw call.abortReason;
    }
    let step: IteratorResult<unknown>;
    try {
      step = await new Promise<IteratorResult<unknown>>((resolve, reject) => {
        call.abortWaiter = reject;
        Promise.resolve(this.iterator!.next()).then(resolve, reject);
      });
    } catch (error) {
      const out = call.abortReason ?? toPublicError(error, call.owner.logger, call.rt.entry.name);
      this.finish(call.abortReason !== undefined);
      throw out;
    } finally {
      call.abortWaiter = undefined;
    }
    if (step.done) {
      this.finish(false);
      return DONE;
    }
    const error = call.checkOutput(step.value);
    if (error !== undefined) {
      this.finish(true);
      throw error;
    }
    return { done: false, value: step.value };
  }

  async return(): Promise<IteratorResult<unknown>> {
    this.finish(true);
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<unknown>> {
    this.finish(true);
    throw error;
  }

  /** Releases the call once; `closeSource` runs the handler's `finally` blocks. */
  private finish(closeSource: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.call.owner.untrack(this.call);
    const it = this.iterator;
    this.iterator = undefined;
    if (closeSource && it?.return) {
      try {
        Promise.resolve(it.return()).catch(() => {});
      } catch {
        // A throwing return() must not hide the error the consumer gets.
      }
    }
  }
}
