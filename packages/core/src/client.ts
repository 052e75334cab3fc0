import { type CallOptions, type Session, SwitchyardError } from '@switchyard/stream';
import type { InputOf, KindOf, MethodsOf, OutputOf } from './infer.js';
import type { ServiceDef } from './service.js';

export type ClientCallOptions = CallOptions;

/** An open client-stream call: send items, end, await the single result. */
export interface ClientStream<I, O> {
  /** Resolves once the server has credit for the item (flow control). */
  send(value: I): Promise<void>;
  end(): void;
  readonly result: Promise<O>;
}

/** An open bidi call: send items and iterate the replies, independently. */
export interface BidiStream<I, O> extends AsyncIterable<O> {
  send(value: I): Promise<void>;
  end(): void;
}

type InputArgs<I> = [I] extends [void]
  ? [input?: I, options?: ClientCallOptions]
  : [input: I, options?: ClientCallOptions];

/** The client face of one method, by kind. */
export type MethodClient<M> =
  KindOf<M> extends 'unary'
    ? (...args: InputArgs<InputOf<M>>) => Promise<OutputOf<M>>
    : KindOf<M> extends 'server-stream'
      ? (...args: InputArgs<InputOf<M>>) => AsyncIterable<OutputOf<M>>
      : KindOf<M> extends 'client-stream'
        ? { open(options?: ClientCallOptions): ClientStream<InputOf<M>, OutputOf<M>> }
        : { open(options?: ClientCallOptions): BidiStream<InputOf<M>, OutputOf<M>> };

export type ServiceClient<S> = {
  readonly [K in keyof MethodsOf<S>]: MethodClient<MethodsOf<S>[K]>;
};

/** `createClient<typeof greeter>(s).greeter.hello(...)`; an array of services gives one key per service. */
export type Client<T> = T extends readonly ServiceDef[]
  ? { readonly [S in T[number] as S['name']]: ServiceClient<S> }
  : T extends ServiceDef
    ? { readonly [N in T['name']]: ServiceClient<T> }
    : never;

/** Anything a peer rejected with becomes a SwitchyardError with the same code. */
function rehydrate(error: unknown): SwitchyardError {
  if (error instanceof SwitchyardError) return error;
  if (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as { code?: unknown }).code === 'string'
  ) {
    return SwitchyardError.fromJSON(error);
  }
  return new SwitchyardError('UNAVAILABLE', 'call failed', { cause: error });
}

function wrapIterator<T>(it: AsyncIterator<T>): AsyncIterator<T> {
  return {
    next: () => it.next().catch((e: unknown) => Promise.reject(rehydrate(e))),
    return: (value?: unknown) =>
      it.return
        ? it.return(value).catch((e: unknown) => Promise.reject(rehydrate(e)))
        : Promise.resolve({ done: true, value: undefined as T }),
  };
}

/**
 * What calling a unary or server-stream method returns: awaiting it makes a
 * unary call, iterating it a server-stream call. The client needs no runtime
 * definition: the type says which use is valid.
 */
class PendingCall implements PromiseLike<unknown>, AsyncIterable<unknown> {
  private promise: Promise<unknown> | undefined;

  constructor(
    private readonly session: Session,
    private readonly name: string,
    private readonly input: unknown,
    private readonly options: ClientCallOptions | undefined,
  ) {}

  private unary(): Promise<unknown> {
    if (this.promise === undefined) {
      this.promise = this.session.call(this.name, this.input, this.options).catch((e: unknown) => {
        throw rehydrate(e);
      });
    }
    return this.promise;
  }

  // biome-ignore lint/suspicious/noThenProperty: a deliberate thenable, see the class comment.
  then<A = unknown, B = never>(
    onfulfilled?: ((value: unknown) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.unary().then(onfulfilled, onrejected);
  }

  catch<B = never>(
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<unknown> {
    return this.unary().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<unknown> {
    return this.unary().finally(onfinally);
  }

  [Symbol.asyncIterator](): AsyncIterator<unknown> {
    return wrapIterator(
      this.session.serverStream(this.name, this.input, this.options)[Symbol.asyncIterator](),
    );
  }
}

/** Opens input-stream methods as bidi on the wire; the server adapts client-stream methods. */
function openStream(
  session: Session,
  name: string,
  options: ClientCallOptions | undefined,
): ClientStream<unknown, unknown> & BidiStream<unknown, unknown> {
  const call = session.bidi(name, options);
  let iterating = false;
  let result: Promise<unknown> | undefined;
  return {
    send: (value) => call.send(value).catch((e: unknown) => Promise.reject(rehydrate(e))),
    end: () => call.end(),
    get result() {
      if (result === undefined) {
        iterating = true;
        result = (async () => {
          const it = call[Symbol.asyncIterator]();
          try {
            const first = await it.next();
            if (first.done) throw new SwitchyardError('INTERNAL', `${name} ended without a result`);
            return first.value;
          } catch (e) {
            throw rehydrate(e);
          } finally {
            await it.return?.().catch(() => {});
          }
        })();
      }
      return result;
    },
    [Symbol.asyncIterator]() {
      if (iterating) throw new TypeError(`${name}: the reply stream is already being read`);
      iterating = true;
      return wrapIterator(call[Symbol.asyncIterator]());
    },
  };
}

function methodClient(session: Session, name: string): unknown {
  const fn = (input?: unknown, options?: ClientCallOptions): PendingCall =>
    new PendingCall(session, name, input, options);
  (fn as unknown as { open: unknown }).open = (options?: ClientCallOptions) =>
    openStream(session, name, options);
  return fn;
}

function lazyRecord(make: (key: string) => unknown): Record<string, unknown> {
  const cache = new Map<string, unknown>();
  return new Proxy(Object.create(null) as Record<string, unknown>, {
    get(_target, key) {
      // Not a thenable itself: `await client` must not look for `then`.
      if (typeof key !== 'string' || key === 'then') return undefined;
      let v = cache.get(key);
      if (v === undefined) cache.set(key, (v = make(key)));
      return v;
    },
  });
}

/**
 * A typed client from the service type alone, over any stream session
 * (in-memory, TCP, WebSocket, QUIC): `client.greeter.hello(input, {timeout})`.
 * Errors arrive as SwitchyardError with the server's code.
 */
export function createClient<T extends ServiceDef | readonly ServiceDef[]>(
  session: Session,
): Client<T> {
  if (typeof session !== 'object' || session === null || typeof session.call !== 'function') {
    throw new TypeError('createClient(): expected a Session from @switchyard/stream');
  }
  return lazyRecord((svc) => lazyRecord((m) => methodClient(session, `${svc}.${m}`))) as Client<T>;
}
