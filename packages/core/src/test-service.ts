import { type ErrorCode, SwitchyardError } from '@switchyard/stream';
import { deepEqual } from './deep-equal.js';
import { createEdge, type Edge, type EdgeOptions } from './edge.js';
import type { InputOf, MethodNames, MethodsOf, OutputOf } from './infer.js';
import { silentLogger } from './logger.js';
import {
  type MemoryCallOptions,
  type MemoryClient,
  type MemoryGateway,
  memoryGateway,
  type PushRecord,
} from './memory-gateway.js';
import type { ServiceDef } from './service.js';

/** A pending call with assertions; also awaitable for the raw output. */
export interface TestCall<O> extends PromiseLike<O> {
  /** Resolves with the output if it deep-equals `expected` (or passes the predicate), else rejects. */
  expectOutput(expected: O | ((output: O) => boolean)): Promise<O>;
  /** Resolves with the error if the call failed with `code` (and a matching message), else rejects. */
  expectError(code: ErrorCode, message?: string | RegExp): Promise<SwitchyardError>;
}

export interface TestStream<O> extends AsyncIterable<O> {
  /** Every item, once the stream ended. */
  collect(): Promise<O[]>;
  expectItems(expected: readonly O[]): Promise<O[]>;
  /** The stream (or the call opening it) failed with `code`. */
  expectError(code: ErrorCode, message?: string | RegExp): Promise<SwitchyardError>;
}

export interface TestHarness<S extends ServiceDef> {
  readonly edge: Edge;
  readonly gateway: MemoryGateway;
  /** Pushes received by the default connection. */
  readonly pushes: readonly PushRecord[];
  call<K extends MethodNames<S>>(
    method: K,
    input?: InputOf<MethodsOf<S>[K]>,
    options?: MemoryCallOptions,
  ): TestCall<OutputOf<MethodsOf<S>[K]>>;
  /** Server-stream or bidi output; for bidi pass the input items as `input`. */
  stream<K extends MethodNames<S>>(
    method: K,
    input?: InputOf<MethodsOf<S>[K]> | Iterable<InputOf<MethodsOf<S>[K]>>,
    options?: MemoryCallOptions,
  ): TestStream<OutputOf<MethodsOf<S>[K]>>;
  /** Client-stream: sends `items`, resolves with the single output. */
  send<K extends MethodNames<S>>(
    method: K,
    items: Iterable<InputOf<MethodsOf<S>[K]>> | AsyncIterable<InputOf<MethodsOf<S>[K]>>,
    options?: MemoryCallOptions,
  ): TestCall<OutputOf<MethodsOf<S>[K]>>;
  /** Another virtual connection (its own pushes and topics). */
  connect(): MemoryClient;
  close(): Promise<void>;
}

/**
 * Serves one service (or several) through an in-memory gateway for unit tests:
 * `const t = testService(greeter); await t.call('hello', {name: 'a'}).expectOutput({msg: 'hi a'});`
 * Method names are the service's own keys (the first service's, with several).
 */
export function testService<S extends ServiceDef>(
  svc: S,
  options: Omit<EdgeOptions, 'services' | 'gateways'> & {
    extraServices?: readonly ServiceDef[];
  } = {},
): TestHarness<S> {
  const gateway = memoryGateway({ name: 'test' });
  const { extraServices, ...edgeOptions } = options;
  const edge = createEdge({
    logger: silentLogger,
    ...edgeOptions,
    services: [svc, ...(extraServices ?? [])],
    gateways: [gateway],
  });
  let started: Promise<void> | undefined;
  const ready = (): Promise<void> => (started ??= edge.start());
  const qualify = (m: string): string => `${svc.name}.${m}`;

  return {
    edge,
    gateway,
    get pushes() {
      return started ? gateway.pushes : [];
    },
    call(method, input, callOptions) {
      return testCall(ready().then(() => gateway.call(qualify(method), input, callOptions)));
    },
    stream(method, input, callOptions) {
      const entry = edge.lookup(qualify(method));
      const opening = ready().then(() =>
        entry?.kind === 'bidi'
          ? dispatchBidi(gateway, qualify(method), input as Iterable<unknown>, callOptions)
          : gateway.call(qualify(method), input, callOptions),
      );
      return testStream(opening as Promise<AsyncIterable<never>>);
    },
    send(method, items, callOptions) {
      return testCall(ready().then(() => gateway.send(qualify(method), items, callOptions)));
    },
    connect() {
      return gateway.connect();
    },
    async close() {
      if (started) await started.catch(() => {});
      await edge.shutdown({ timeout: 1000 });
    },
  };
}

function dispatchBidi(
  gateway: MemoryGateway,
  method: string,
  items: Iterable<unknown> | undefined,
  options: MemoryCallOptions | undefined,
): Promise<unknown> {
  return gateway.send(method, items ?? [], options);
}

function describeValue(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function matchError(error: unknown, code: ErrorCode, message?: string | RegExp): SwitchyardError {
  if (!(error instanceof SwitchyardError)) {
    throw new Error(`expected a SwitchyardError ${code}, got ${describeValue(error)}`, {
      cause: error,
    });
  }
  if (error.code !== code) {
    throw new Error(`expected error ${code}, got ${error.code}: ${error.message}`, {
      cause: error,
    });
  }
  if (message !== undefined) {
    const ok =
      typeof message === 'string' ? error.message.includes(message) : message.test(error.message);
    if (!ok)
      throw new Error(`error ${code} has message "${error.message}", expected ${String(message)}`);
  }
  return error;
}

function testCall<O>(pending: Promise<unknown>): TestCall<O> {
  const p = pending as Promise<O>;
  // Unobserved rejections are the assertion's business, not the process's.
  p.catch(() => {});
  return {
    // biome-ignore lint/suspicious/noThenProperty: awaitable on purpose: `await t.call(...)` gives the output.
    then(onfulfilled, onrejected) {
      return p.then(onfulfilled, onrejected);
    },
    async expectOutput(expected) {
      let output: O;
      try {
        output = await p;
      } catch (error) {
        const e = error as SwitchyardError;
        throw new Error(
          `expected an output, got error ${e?.code ?? ''}: ${e?.message ?? String(error)}`,
          {
            cause: error,
          },
        );
      }
      const ok =
        typeof expected === 'function'
          ? (expected as (o: O) => boolean)(output)
          : deepEqual(output, expected);
      if (!ok) {
        throw new Error(
          `output ${describeValue(output)} does not match ${typeof expected === 'function' ? 'the predicate' : describeValue(expected)}`,
        );
      }
      return output;
    },
    async expectError(code, message) {
      let output: O;
      try {
        output = await p;
      } catch (error) {
        return matchError(error, code, message);
      }
      throw new Error(`expected error ${code}, got output ${describeValue(output)}`);
    },
  };
}

function testStream<O>(opening: Promise<AsyncIterable<O>>): TestStream<O> {
  opening.catch(() => {});
  const collect = async (): Promise<O[]> => {
    const items: O[] = [];
    for await (const item of await opening) items.push(item);
    return items;
  };
  return {
    async *[Symbol.asyncIterator]() {
      yield* await opening;
    },
    collect,
    async expectItems(expected) {
      const items = await collect();
      if (!deepEqual(items, expected)) {
        throw new Error(
          `stream items ${describeValue(items)} do not match ${describeValue(expected)}`,
        );
      }
      return items;
    },
    async expectError(code, message) {
      let items: O[];
      try {
        items = await collect();
      } catch (error) {
        return matchError(error, code, message);
      }
      throw new Error(`expected error ${code}, stream ended with ${describeValue(items)}`);
    },
  };
}
