import * as v from 'valibot';
import { expect, describe as group, it } from 'vitest';
import { z } from 'zod';
import { describe } from './describe.js';
import { createEdge } from './edge.js';
import { method } from './method.js';
import {
  defineSelector,
  isRestSelector,
  isRpcSelector,
  rest,
  restParams,
  rpc,
} from './selectors.js';
import { service } from './service.js';

group('selectors', () => {
  it('builds rpc, rest and custom selectors', () => {
    expect(rpc('echo.hello')).toEqual({ kind: 'rpc', name: 'echo.hello' });
    expect(rest('get' as 'GET', '/echo/:id')).toEqual({
      kind: 'rest',
      method: 'GET',
      path: '/echo/:id',
    });
    const mqtt = defineSelector('mqtt', { topic: 'sensors/+' });
    expect(mqtt).toEqual({ kind: 'mqtt', topic: 'sensors/+' });
    expect(isRpcSelector(rpc('a'))).toBe(true);
    expect(isRestSelector(rpc('a'))).toBe(false);
    expect(restParams('/a/:id/b/:name')).toEqual(['id', 'name']);
  });

  it('refuses malformed selectors', () => {
    expect(() => rpc('')).toThrow(TypeError);
    expect(() => rpc('has space')).toThrow(TypeError);
    expect(() => rpc(42 as never)).toThrow(TypeError);
    expect(() => rest('FETCH' as never, '/x')).toThrow(/HTTP method/);
    expect(() => rest('GET', 'no-slash')).toThrow(/path/);
    expect(() => defineSelector('', {})).toThrow(TypeError);
    expect(() => defineSelector('x', { kind: 'y' })).toThrow(/kind/);
  });
});

group('method() and service()', () => {
  it('refuses bad definitions with clear errors', () => {
    expect(() => method({ handler: 'nope' as never })).toThrow(/handler/);
    expect(() => method({ kind: 'weird' as never, handler: () => 1 } as never)).toThrow(
      /unknown kind/,
    );
    expect(() => method({ input: { parse() {} } as never, handler: () => 1 })).toThrow(
      /Standard Schema/,
    );
    expect(() => method({ timeout: -5, handler: () => 1 })).toThrow(/timeout/);
    expect(() => method({ selectors: ['x' as never], handler: () => 1 })).toThrow(/selectors/);
    expect(() => method({ middleware: [1 as never], handler: () => 1 })).toThrow(/middleware/);
    expect(() => method(null as never)).toThrow(/object/);
    expect(() => service('bad name', {})).toThrow(/invalid name/);
    expect(() => service('ok', { 'bad-key': method({ handler: () => 1 }) })).toThrow(
      /invalid method/,
    );
    expect(() => service('ok', { m: { handler: 1 } as never })).toThrow(/method\(\)/);
    expect(() => service('ok', null as never)).toThrow(/object/);
  });

  it('accepts dotted service names and freezes definitions', () => {
    const s = service('acme.greeter', { hi: method({ handler: () => 1 }) });
    expect(s.name).toBe('acme.greeter');
    expect(Object.isFrozen(s.methods)).toBe(true);
    expect(s.methods.hi.kind).toBe('unary');
    expect(s.methods.hi.idempotent).toBe(false);
  });
});

group('describe()', () => {
  const svc = service(
    'greeter',
    {
      hello: method({
        description: 'Says hello',
        input: z.object({ name: z.string() }),
        output: z.object({ msg: z.string() }),
        selectors: [rpc('hi'), rest('GET', '/hello/:name')],
        idempotent: true,
        timeout: 2000,
        handler: (input) => ({ msg: input.name }),
      }),
      vb: method({ input: v.object({ n: v.number() }), handler: (i) => i.n }),
      ticks: method({ kind: 'server-stream', async *handler() {} }),
    },
    { description: 'Greets people' },
  );

  it('describes methods, kinds, selectors and JSON Schemas as plain JSON', () => {
    const d = describe([svc]);
    expect(JSON.parse(JSON.stringify(d))).toEqual(d);
    expect(d.version).toBe(1);
    const s = d.services[0]!;
    expect(s.name).toBe('greeter');
    expect(s.description).toBe('Greets people');
    const hello = s.methods.find((m) => m.method === 'hello')!;
    expect(hello).toMatchObject({
      name: 'greeter.hello',
      kind: 'unary',
      idempotent: true,
      timeout: 2000,
      description: 'Says hello',
      selectors: [
        { kind: 'rpc', name: 'hi' },
        { kind: 'rest', method: 'GET', path: '/hello/:name' },
      ],
    });
    expect(hello.input).toMatchObject({
      type: 'object',
      properties: { name: { type: 'string' } },
      required: ['name'],
    });
    expect(hello.output).toMatchObject({ type: 'object', properties: { msg: { type: 'string' } } });
    const ticks = s.methods.find((m) => m.method === 'ticks')!;
    expect(ticks.kind).toBe('server-stream');
    expect(ticks.input).toBeUndefined();
    // valibot 1.x has no Standard JSON Schema: described without a schema, not an error.
    const vb = s.methods.find((m) => m.method === 'vb')!;
    expect(vb.kind).toBe('unary');
  });

  it('is available from the edge too', () => {
    expect(createEdge({ services: [svc] }).describe()).toEqual(describe([svc]));
  });
});
