import type { Context } from './context.js';
import type { Middleware } from './middleware.js';
import { assertStandardSchema, type StandardSchemaV1 } from './schema.js';
import type { Selector } from './selectors.js';

export type MethodKind = 'unary' | 'server-stream' | 'client-stream' | 'bidi';

export const METHOD_KINDS: readonly MethodKind[] = [
  'unary',
  'server-stream',
  'client-stream',
  'bidi',
];

/** The handler's shape follows the kind: streams in and out are async iterables. */
export type Handler<I, O, K extends MethodKind> = K extends 'unary'
  ? (input: I, ctx: Context) => O | Promise<O>
  : K extends 'server-stream'
    ? (input: I, ctx: Context) => AsyncIterable<O> | Iterable<O>
    : K extends 'client-stream'
      ? (input: AsyncIterable<I>, ctx: Context) => O | Promise<O>
      : (input: AsyncIterable<I>, ctx: Context) => AsyncIterable<O> | Iterable<O>;

interface MethodInitBase<I, O> {
  /** Any Standard Schema; validated before the handler runs (each item, for streams). */
  input?: StandardSchemaV1<any, I>;
  /** Any Standard Schema; a handler result that fails it is an INTERNAL error. */
  output?: StandardSchemaV1<any, O>;
  /** How gateways reach it; `service.method` is always reachable over RPC as well. */
  selectors?: readonly Selector[];
  /** Safe to run twice: retry middleware and clients may repeat it after a timeout. */
  idempotent?: boolean;
  /** Milliseconds; caps the caller's deadline. */
  timeout?: number;
  middleware?: readonly Middleware[];
  description?: string;
}

export interface UnaryInit<I, O> extends MethodInitBase<I, O> {
  /** Defaults to 'unary'. */
  kind?: 'unary';
  handler: (input: I, ctx: Context) => O | Promise<O>;
}

export interface ServerStreamInit<I, O> extends MethodInitBase<I, O> {
  kind: 'server-stream';
  handler: (input: I, ctx: Context) => AsyncIterable<O> | Iterable<O>;
}

export interface ClientStreamInit<I, O> extends MethodInitBase<I, O> {
  kind: 'client-stream';
  handler: (input: AsyncIterable<I>, ctx: Context) => O | Promise<O>;
}

export interface BidiInit<I, O> extends MethodInitBase<I, O> {
  kind: 'bidi';
  handler: (input: AsyncIterable<I>, ctx: Context) => AsyncIterable<O> | Iterable<O>;
}

/** What `method()` takes, by kind. */
export type MethodInit<I, O, K extends MethodKind = MethodKind> = K extends 'unary'
  ? UnaryInit<I, O>
  : K extends 'server-stream'
    ? ServerStreamInit<I, O>
    : K extends 'client-stream'
      ? ClientStreamInit<I, O>
      : BidiInit<I, O>;

export interface MethodDef<I = any, O = any, K extends MethodKind = MethodKind> {
  readonly kind: K;
  readonly input: StandardSchemaV1 | undefined;
  readonly output: StandardSchemaV1 | undefined;
  readonly selectors: readonly Selector[];
  readonly idempotent: boolean;
  readonly timeout: number | undefined;
  readonly middleware: readonly Middleware[];
  readonly description: string | undefined;
  readonly handler: Handler<I, O, K>;
  /** Type-only carrier for clients; never set at run time. */
  readonly '~types'?: { readonly input: I; readonly output: O; readonly kind: K };
}

/**
 * Defines one method. Types come from the schemas, or from the generics when
 * there is none: `method<{ id: string }, { ok: boolean }>({ handler })`.
 */
export function method<I = void, O = void>(
  init: ServerStreamInit<I, O>,
): MethodDef<I, O, 'server-stream'>;
export function method<I = void, O = void>(
  init: ClientStreamInit<I, O>,
): MethodDef<I, O, 'client-stream'>;
export function method<I = void, O = void>(init: BidiInit<I, O>): MethodDef<I, O, 'bidi'>;
export function method<I = void, O = void>(init: UnaryInit<I, O>): MethodDef<I, O, 'unary'>;
export function method(init: MethodInit<unknown, unknown>): MethodDef {
  if (typeof init !== 'object' || init === null)
    throw new TypeError('method(): expected an object');
  const kind: MethodKind = init.kind ?? 'unary';
  if (!METHOD_KINDS.includes(kind)) {
    throw new TypeError(
      `method(): unknown kind ${JSON.stringify(kind)} (${METHOD_KINDS.join(', ')})`,
    );
  }
  if (typeof init.handler !== 'function')
    throw new TypeError('method(): handler must be a function');
  if (init.input !== undefined) assertStandardSchema(init.input, 'method(): input');
  if (init.output !== undefined) assertStandardSchema(init.output, 'method(): output');
  if (
    init.timeout !== undefined &&
    !(typeof init.timeout === 'number' && init.timeout > 0 && init.timeout <= 2 ** 31 - 1)
  ) {
    throw new TypeError('method(): timeout must be a positive number of milliseconds');
  }
  const selectors = init.selectors ?? [];
  for (const s of selectors) {
    if (typeof s !== 'object' || s === null || typeof s.kind !== 'string') {
      throw new TypeError(
        'method(): selectors must be built with rpc(), rest() or defineSelector()',
      );
    }
  }
  for (const m of init.middleware ?? []) {
    if (typeof m !== 'function') throw new TypeError('method(): middleware must be functions');
  }
  return Object.freeze({
    kind,
    input: init.input,
    output: init.output,
    selectors: Object.freeze([...selectors]),
    idempotent: init.idempotent === true,
    timeout: init.timeout,
    middleware: Object.freeze([...(init.middleware ?? [])]),
    description: init.description,
    handler: init.handler as MethodDef['handler'],
  });
}
