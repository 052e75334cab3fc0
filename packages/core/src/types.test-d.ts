import type { Session } from '@switchyard/stream';
import * as v from 'valibot';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';
import { type BidiStream, type ClientStream, createClient } from './client.js';
import type { Context } from './context.js';
import type { InputOf, KindOf, OutputOf } from './infer.js';
import { method } from './method.js';
import { rest, rpc } from './selectors.js';
import { service } from './service.js';
import { testService } from './test-service.js';

const greeter = service('greeter', {
  hello: method({
    input: z.object({ name: z.string() }),
    output: z.object({ msg: z.string() }),
    selectors: [rpc('greeter.hello'), rest('GET', '/hello/:name')],
    handler: async (input, ctx) => {
      expectTypeOf(input).toEqualTypeOf<{ name: string }>();
      expectTypeOf(ctx).toEqualTypeOf<Context>();
      return { msg: `hi ${input.name}` };
    },
  }),
  valibot: method({
    input: v.object({ n: v.number() }),
    handler: (input) => {
      expectTypeOf(input).toEqualTypeOf<{ n: number }>();
      return input.n * 2;
    },
  }),
  generic: method<{ id: string }, { ok: boolean }>({
    handler: (input) => {
      expectTypeOf(input).toEqualTypeOf<{ id: string }>();
      return { ok: input.id.length > 0 };
    },
  }),
  ping: method({ handler: () => 'pong' as const }),
  ticks: method({
    kind: 'server-stream',
    input: z.object({ count: z.number() }),
    async *handler(input) {
      expectTypeOf(input).toEqualTypeOf<{ count: number }>();
      for (let i = 0; i < input.count; i++) yield { i };
    },
  }),
  upload: method({
    kind: 'client-stream',
    input: z.string(),
    output: z.number(),
    async handler(chunks) {
      expectTypeOf(chunks).toEqualTypeOf<AsyncIterable<string>>();
      let n = 0;
      for await (const c of chunks) n += c.length;
      return n;
    },
  }),
  chat: method({
    kind: 'bidi',
    input: z.string(),
    output: z.string(),
    async *handler(lines) {
      for await (const l of lines) yield l;
    },
  }),
});

type M = (typeof greeter)['methods'];

describe('inference from schemas and generics', () => {
  it('infers input and output of each method', () => {
    expectTypeOf<InputOf<M['hello']>>().toEqualTypeOf<{ name: string }>();
    expectTypeOf<OutputOf<M['hello']>>().toEqualTypeOf<{ msg: string }>();
    expectTypeOf<InputOf<M['valibot']>>().toEqualTypeOf<{ n: number }>();
    expectTypeOf<OutputOf<M['valibot']>>().toEqualTypeOf<number>();
    expectTypeOf<InputOf<M['generic']>>().toEqualTypeOf<{ id: string }>();
    expectTypeOf<OutputOf<M['generic']>>().toEqualTypeOf<{ ok: boolean }>();
    expectTypeOf<InputOf<M['ping']>>().toEqualTypeOf<void>();
    expectTypeOf<OutputOf<M['ping']>>().toEqualTypeOf<'pong'>();
    expectTypeOf<OutputOf<M['ticks']>>().toEqualTypeOf<{ i: number }>();
    expectTypeOf<KindOf<M['ticks']>>().toEqualTypeOf<'server-stream'>();
    expectTypeOf<KindOf<M['hello']>>().toEqualTypeOf<'unary'>();
    expectTypeOf<KindOf<M['upload']>>().toEqualTypeOf<'client-stream'>();
    expectTypeOf<KindOf<M['chat']>>().toEqualTypeOf<'bidi'>();
    expectTypeOf(greeter.name).toEqualTypeOf<'greeter'>();
  });

  it('rejects handlers that disagree with their schemas', () => {
    // @ts-expect-error: the output schema wants { msg: string }
    method({ output: z.object({ msg: z.string() }), handler: async () => ({ msg: 42 }) });
    method({
      input: z.object({ name: z.string() }),
      // @ts-expect-error: input.name is a string
      handler: (input) => input.name.toFixed(),
    });
  });
});

describe('typed client', () => {
  const session = {} as Session;
  const client = createClient<typeof greeter>(session);

  it('types unary calls by input and output', () => {
    expectTypeOf(client.greeter.hello({ name: 'a' })).toEqualTypeOf<Promise<{ msg: string }>>();
    expectTypeOf(client.greeter.hello)
      .parameter(1)
      .toEqualTypeOf<import('@switchyard/stream').CallOptions | undefined>();
    expectTypeOf(client.greeter.ping()).toEqualTypeOf<Promise<'pong'>>();
    // @ts-expect-error: wrong input type
    client.greeter.hello({ name: 1 });
    // @ts-expect-error: input required
    client.greeter.hello();
    // @ts-expect-error: unknown method
    client.greeter.nope;
  });

  it('types streams', () => {
    expectTypeOf(client.greeter.ticks({ count: 2 })).toEqualTypeOf<AsyncIterable<{ i: number }>>();
    expectTypeOf(client.greeter.upload.open()).toEqualTypeOf<ClientStream<string, number>>();
    expectTypeOf(client.greeter.chat.open()).toEqualTypeOf<BidiStream<string, string>>();
  });

  it('keys several services by name', () => {
    const other = service('other', { x: method({ handler: () => 1 }) });
    const c = createClient<[typeof greeter, typeof other]>(session);
    expectTypeOf(c.other.x()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(c.greeter.ping()).toEqualTypeOf<Promise<'pong'>>();
  });
});

describe('testing kit', () => {
  it('types calls by method name', () => {
    const t = testService(greeter);
    // @ts-expect-error: not a method of the service
    void t.call('nope');
    // @ts-expect-error: wrong input
    void t.call('hello', { name: 1 });
    expectTypeOf(t.call('hello', { name: 'a' })).resolves.toEqualTypeOf<{ msg: string }>();
  });
});
