import { msgpackrCodec } from '@switchyard/codec';
import {
  createEdge,
  type Edge,
  method,
  rest,
  SwitchyardError,
  service,
  silentLogger,
} from '@switchyard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HttpGateway, httpGateway } from './http-gateway.js';
import { setResponseHeader } from './response-headers.js';

const msgpack = msgpackrCodec();

const seenMetadata: Record<string, string>[] = [];

const users = service('users', {
  get: method({
    input: z.object({ id: z.string() }),
    output: z.object({ id: z.string(), name: z.string() }),
    selectors: [rest('GET', '/users/:id')],
    description: 'Fetch one user',
    handler: ({ id }) => {
      if (id === 'missing')
        throw new SwitchyardError('NOT_FOUND', `no user ${id}`, { data: { id } });
      if (id === 'crash') throw new Error('secret database password in this message');
      return { id, name: `user ${id}` };
    },
  }),
  list: method({
    input: z.object({
      limit: z.number().int().max(100).optional(),
      active: z.boolean().optional(),
    }),
    selectors: [rest('GET', '/users')],
    handler: (input) => ({ input }),
  }),
  create: method({
    input: z.object({ name: z.string().min(1), tags: z.array(z.string()).optional() }),
    selectors: [rest('POST', '/users')],
    handler: async (input) => ({ created: input.name, tags: input.tags ?? [] }),
  }),
  rename: method({
    input: z.object({ id: z.string(), name: z.string() }),
    selectors: [rest('PUT', '/users/:id')],
    handler: (input) => input,
  }),
  remove: method({
    input: z.object({ id: z.string() }),
    selectors: [rest('DELETE', '/users/:id')],
    handler: () => undefined,
  }),
  whoami: method({
    selectors: [rest('GET', '/whoami')],
    handler: (_input, ctx) => {
      seenMetadata.push({ ...ctx.metadata });
      return {
        metadata: ctx.metadata,
        transport: ctx.connection.transport,
        gateway: ctx.connection.gateway,
        remoteAddress: ctx.connection.remoteAddress,
      };
    },
  }),
  paged: method({
    input: z.object({ header: z.string().optional(), fail: z.boolean().optional() }),
    selectors: [rest('GET', '/paged')],
    handler: (input, ctx) => {
      setResponseHeader(ctx, input.header ?? 'x-total-count', '2');
      if (input.fail) throw new SwitchyardError('RESOURCE_EXHAUSTED', 'slow down');
      return ['a', 'b'];
    },
  }),
  big: method({
    input: z.object({ kib: z.number().int().max(4096) }),
    selectors: [rest('GET', '/big/:kib')],
    handler: ({ kib }) => ({ data: 'x'.repeat(kib * 1024) }),
  }),
});

let edge: Edge;
let gateway: HttpGateway;
let base: string;

beforeAll(async () => {
  gateway = httpGateway({
    host: '127.0.0.1',
    port: 0,
    cors: { origin: ['https://app.example'], exposeHeaders: ['x-total'] },
    headers: { 'x-request-id': 'requestId' },
    methods: { 'users.whoami': { headers: ['authorization'] } },
    openapi: { path: '/spec.json', title: 'Users', version: '1.2.3' },
  });
  edge = createEdge({ services: [users], gateways: [gateway], logger: silentLogger });
  await edge.start();
  base = `http://127.0.0.1:${gateway.port}`;
});

afterAll(async () => {
  await edge.shutdown({ timeout: 2000 });
});

async function json(res: Response): Promise<unknown> {
  expect(res.headers.get('content-type')).toBe('application/json');
  return res.json();
}

describe('routing and input', () => {
  it('serves a GET route with a path parameter', async () => {
    const res = await fetch(`${base}/users/42`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ id: '42', name: 'user 42' });
  });

  it('decodes percent-encoded path parameters', async () => {
    const res = await fetch(`${base}/users/a%20b`);
    expect(await res.json()).toEqual({ id: 'a b', name: 'user a b' });
  });

  it('coerces query strings to the types of the input schema', async () => {
    const res = await fetch(`${base}/users?limit=10&active=true&ignored=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ input: { limit: 10, active: true } });
  });

  it('answers 400 with the validation issues when coercion cannot help', async () => {
    const res = await fetch(`${base}/users?limit=ten`);
    expect(res.status).toBe(400);
    const body = (await json(res)) as { code: string; data: { issues: { path: string[] }[] } };
    expect(body.code).toBe('INVALID_ARGUMENT');
    expect(body.data.issues[0]?.path).toEqual(['limit']);
  });

  it('reads a JSON body', async () => {
    const res = await fetch(`${base}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ name: 'ada', tags: ['x'] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ created: 'ada', tags: ['x'] });
  });

  it('reads a msgpack body and answers msgpack when Accept asks for it', async () => {
    const res = await fetch(`${base}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/msgpack', accept: 'application/msgpack' },
      body: Buffer.from(msgpack.encode({ name: 'grace' })),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/msgpack');
    expect(msgpack.decode(new Uint8Array(await res.arrayBuffer()))).toEqual({
      created: 'grace',
      tags: [],
    });
  });

  it('prefers JSON when Accept ranks it higher than msgpack', async () => {
    const res = await fetch(`${base}/users/1`, {
      headers: { accept: 'application/msgpack;q=0.5, application/json' },
    });
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it('merges path parameters over body fields', async () => {
    const res = await fetch(`${base}/users/7`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'spoofed', name: 'n' }),
    });
    expect(await res.json()).toEqual({ id: '7', name: 'n' });
  });

  it('answers 204 for a method without a result', async () => {
    const res = await fetch(`${base}/users/7`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('answers HEAD for GET routes with headers and no body', async () => {
    const res = await fetch(`${base}/users/42`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(
      String(JSON.stringify({ id: '42', name: 'user 42' }).length),
    );
    expect(await res.text()).toBe('');
  });

  it('sends large responses completely', async () => {
    const res = await fetch(`${base}/big/512`);
    const body = (await res.json()) as { data: string };
    expect(body.data.length).toBe(512 * 1024);
  });
});

describe('response headers from handlers', () => {
  it('writes headers set with setResponseHeader, on success and on errors', async () => {
    const ok = await fetch(`${base}/paged`);
    expect(ok.headers.get('x-total-count')).toBe('2');
    expect(await ok.json()).toEqual(['a', 'b']);
    const failed = await fetch(`${base}/paged?header=retry-after&fail=true`);
    expect(failed.status).toBe(429);
    expect(failed.headers.get('retry-after')).toBe('2');
  });

  it('refuses headers the gateway owns, as an internal error', async () => {
    const res = await fetch(`${base}/paged?header=content-length`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toBe('application/json');
  });

  it('is a no-op outside HTTP', () => {
    expect(setResponseHeader({ connection: { id: 'x', gateway: 'ws' } }, 'x-a', 'b')).toBe(false);
  });
});

describe('errors', () => {
  it('maps a SwitchyardError to its status with {code, message, data}', async () => {
    const res = await fetch(`${base}/users/missing`);
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({
      code: 'NOT_FOUND',
      message: 'no user missing',
      data: { id: 'missing' },
    });
  });

  it('hides thrown errors behind INTERNAL without message or stack', async () => {
    const res = await fetch(`${base}/users/crash`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(text).not.toMatch(/secret|at |\.ts/);
  });

  it('answers unknown routes with a JSON 404', async () => {
    const res = await fetch(`${base}/nowhere/at/all`);
    expect(res.status).toBe(404);
    expect(await json(res)).toEqual({
      code: 'NOT_FOUND',
      message: 'no route for GET /nowhere/at/all',
    });
  });

  it('answers a known path with the wrong method with 405 and Allow', async () => {
    const res = await fetch(`${base}/whoami`, { method: 'PATCH' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(((await json(res)) as { code: string }).code).toBe('METHOD_NOT_ALLOWED');
  });

  it('answers 405 with Allow on parameterised paths and fixed endpoints too', async () => {
    const res = await fetch(`${base}/users/7`, { method: 'PATCH', body: '{}' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD, PUT, DELETE, OPTIONS');
    expect(await json(res)).toEqual({
      code: 'METHOD_NOT_ALLOWED',
      message: 'method PATCH not allowed on /users/7',
      data: { allow: ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'] },
    });
    const health = await fetch(`${base}/health`, { method: 'POST' });
    expect(health.status).toBe(405);
    expect(health.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    await health.body?.cancel();
    // HEAD on a path served only by other methods: the same answer, no body.
    const head = await fetch(`${base}/users`, { method: 'DELETE' });
    expect(head.status).toBe(405);
    expect(head.headers.get('allow')).toBe('GET, HEAD, POST, OPTIONS');
    await head.body?.cancel();
  });
});

describe('content negotiation: 406 Not Acceptable', () => {
  it('answers 406 when Accept admits neither JSON nor msgpack, without running the handler', async () => {
    const before = seenMetadata.length;
    for (const accept of ['text/html', 'application/msgpack;q=0', 'image/*, text/*;q=0.5']) {
      const res = await fetch(`${base}/whoami`, { headers: { accept } });
      expect(res.status).toBe(406);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({
        code: 'NOT_ACCEPTABLE',
        message:
          'Accept admits none of the response types of this route: application/json, application/msgpack',
        data: { types: ['application/json', 'application/msgpack'] },
      });
    }
    expect(seenMetadata.length).toBe(before);
    const head = await fetch(`${base}/users/1`, {
      method: 'HEAD',
      headers: { accept: 'text/csv' },
    });
    expect(head.status).toBe(406);
    expect(await head.text()).toBe('');
  });

  it('answers 406 to a request with a body before reading it, and closes', async () => {
    const res = await fetch(`${base}/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/plain' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(res.status).toBe(406);
    expect(res.headers.get('connection')).toBe('close');
    await res.body?.cancel();
  });

  it('answers msgpack when JSON is refused but a wildcard admits msgpack', async () => {
    const res = await fetch(`${base}/users/5`, {
      headers: { accept: 'application/json;q=0, */*;q=0.5' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/msgpack');
    expect(msgpack.decode(new Uint8Array(await res.arrayBuffer()))).toEqual({
      id: '5',
      name: 'user 5',
    });
  });
});

describe('headers, CORS and fixed endpoints', () => {
  it('maps configured request headers into ctx.metadata, per method too', async () => {
    const res = await fetch(`${base}/whoami`, {
      headers: { 'x-request-id': 'r-1', authorization: 'Bearer t', 'x-other': 'no' },
    });
    expect(await res.json()).toEqual({
      metadata: { requestId: 'r-1', authorization: 'Bearer t' },
      transport: 'http',
      gateway: 'http',
      remoteAddress: '127.0.0.1',
    });
    // A route without the per-method mapping only gets the global one.
    await fetch(`${base}/users/1`, { headers: { authorization: 'Bearer t' } });
    expect(seenMetadata).toHaveLength(1);
  });

  it('writes CORS headers for allowed origins only', async () => {
    const ok = await fetch(`${base}/users/1`, { headers: { origin: 'https://app.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(ok.headers.get('access-control-expose-headers')).toBe('x-total');
    expect(ok.headers.get('vary')).toBe('origin');
    const other = await fetch(`${base}/users/1`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers CORS preflight with the methods of the path', async () => {
    const res = await fetch(`${base}/users/1`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, PUT, DELETE, OPTIONS');
    expect(res.headers.get('access-control-allow-headers')).toBe('content-type');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  it('answers OPTIONS on an unknown path with 404', async () => {
    const res = await fetch(`${base}/nothing`, { method: 'OPTIONS' });
    expect(res.status).toBe(404);
  });

  it('serves a health endpoint', async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves OpenAPI 3.1 at the configured path', async () => {
    const res = await fetch(`${base}/spec.json`);
    const doc = (await json(res)) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info).toEqual({ title: 'Users', version: '1.2.3' });
    const get = doc.paths['/users/{id}'].get;
    expect(get.operationId).toBe('users.get');
    expect(get.summary).toBe('Fetch one user');
    expect(get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    expect(get.responses['200'].content['application/json'].schema.properties.name).toEqual({
      type: 'string',
    });
    const list = doc.paths['/users'].get;
    expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual([
      'query:limit',
      'query:active',
    ]);
    const create = doc.paths['/users'].post;
    expect(create.requestBody.content['application/json'].schema.required).toEqual(['name']);
    expect(create.responses['415'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/Error',
    });
    expect(doc.components.schemas.Error.properties.code.enum).toContain('DEADLINE_EXCEEDED');
  });
});

describe('registration', () => {
  it('refuses two methods on the same route', () => {
    const clash = service('clash', {
      a: method({ selectors: [rest('GET', '/x/:id')], handler: () => 1 }),
      b: method({ selectors: [rest('GET', '/x/:other')], handler: () => 2 }),
    });
    expect(() =>
      createEdge({ services: [clash], gateways: [httpGateway()], logger: silentLogger }),
    ).toThrow(/two methods claim GET \/x\/:other/);
  });

  it('refuses client-streaming methods', () => {
    const upload = service('upload', {
      put: method({
        kind: 'client-stream',
        selectors: [rest('POST', '/upload')],
        handler: async () => 1,
      }),
    });
    expect(() =>
      createEdge({ services: [upload], gateways: [httpGateway()], logger: silentLogger }),
    ).toThrow(/client-stream/);
  });

  it('fails to start on a port that is taken', async () => {
    const other = createEdge({
      services: [users],
      gateways: [httpGateway({ host: '127.0.0.1', port: gateway.port })],
      logger: silentLogger,
    });
    await expect(other.start()).rejects.toThrow(/cannot listen/);
  });
});
