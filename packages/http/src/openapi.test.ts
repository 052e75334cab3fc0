import { createEdge, method, rest, rpc, service, silentLogger } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { openApiFromMethods, openApiPath } from './openapi.js';

const svc = service('shop', {
  order: method({
    input: z.object({ shop: z.string(), qty: z.number().int(), note: z.string().optional() }),
    output: z.object({ ok: z.boolean() }),
    selectors: [rest('POST', '/shops/:shop/orders'), rpc('order')],
    idempotent: true,
    handler: () => ({ ok: true }),
  }),
  feed: method({
    kind: 'server-stream',
    output: z.object({ n: z.number() }),
    selectors: [rest('GET', '/feed')],
    handler: function* () {
      yield { n: 1 };
    },
  }),
  internal: method({ selectors: [rpc('internal')], handler: () => 1 }),
});

describe('OpenAPI generation', () => {
  const edge = createEdge({ services: [svc], logger: silentLogger });
  const doc = openApiFromMethods(edge.methods, {
    title: 'Shop',
    version: '2.0.0',
    servers: [{ url: 'https://api.example' }],
  }) as any;

  it('describes only REST routes, with OpenAPI path syntax', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/shops/{shop}/orders', '/feed']);
    expect(doc.servers).toEqual([{ url: 'https://api.example' }]);
    expect(openApiPath('/a/:b/c/:d_e')).toBe('/a/{b}/c/{d_e}');
  });

  it('puts path parameters in the path and the rest of the input in the body', () => {
    const op = doc.paths['/shops/{shop}/orders'].post;
    expect(op.parameters).toEqual([
      { name: 'shop', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    const body = op.requestBody.content['application/json'].schema;
    expect(Object.keys(body.properties)).toEqual(['qty', 'note']);
    expect(body.required).toEqual(['qty']);
    expect(body.$schema).toBeUndefined();
    expect(op.requestBody.content['application/msgpack'].schema).toEqual(body);
    expect(op['x-switchyard']).toEqual({ method: 'shop.order', kind: 'unary', idempotent: true });
  });

  it('documents errors and streams', () => {
    const op = doc.paths['/shops/{shop}/orders'].post;
    for (const status of ['400', '413', '415', '504', 'default']) {
      expect(op.responses[status].content['application/json'].schema.$ref).toBe(
        '#/components/schemas/Error',
      );
    }
    const feed = doc.paths['/feed'].get.responses['200'].content['text/event-stream'];
    expect(feed['x-item-schema'].properties.n).toEqual({ type: 'number' });
  });
});
