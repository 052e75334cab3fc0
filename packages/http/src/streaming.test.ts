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

const svc = service('ticks', {
  count: method({
    kind: 'server-stream',
    input: z.object({ n: z.number().int().min(0).max(1000) }),
    selectors: [rest('GET', '/count')],
    handler: async function* ({ n }) {
      for (let i = 0; i < n; i++) yield { i };
    },
  }),
  broken: method({
    kind: 'server-stream',
    selectors: [rest('GET', '/broken')],
    handler: async function* () {
      yield { i: 0 };
      throw new SwitchyardError('DATA_LOSS', 'the tape snapped', { data: { at: 1 } });
    },
  }),
  sync: method({
    kind: 'server-stream',
    selectors: [rest('POST', '/sync')],
    handler: () => ['a', 'b'],
  }),
});

let edge: Edge;
let gateway: HttpGateway;
let base: string;

beforeAll(async () => {
  gateway = httpGateway({ host: '127.0.0.1', port: 0, cors: true });
  edge = createEdge({ services: [svc], gateways: [gateway], logger: silentLogger });
  await edge.start();
  base = `http://127.0.0.1:${gateway.port}`;
});

afterAll(async () => {
  await edge.shutdown({ timeout: 2000 });
});

interface SseEvent {
  event: string;
  data: unknown;
}

/** A minimal SSE parser: enough to check what the gateway writes. */
function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split('\n\n')) {
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) events.push({ event, data: JSON.parse(data.join('\n')) });
  }
  return events;
}

describe('server-streaming over SSE', () => {
  it('streams every item then an end event', async () => {
    const res = await fetch(`${base}/count?n=3`, { headers: { origin: 'https://x.example' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(parseSse(await res.text())).toEqual([
      { event: 'message', data: { i: 0 } },
      { event: 'message', data: { i: 1 } },
      { event: 'message', data: { i: 2 } },
      { event: 'end', data: {} },
    ]);
  });

  it('streams many items in order', async () => {
    const res = await fetch(`${base}/count?n=1000`);
    const events = parseSse(await res.text());
    expect(events).toHaveLength(1001);
    expect(events[999]).toEqual({ event: 'message', data: { i: 999 } });
  });

  it('ends with an error event carrying {code, message, data}', async () => {
    const res = await fetch(`${base}/broken`);
    expect(res.status).toBe(200);
    expect(parseSse(await res.text())).toEqual([
      { event: 'message', data: { i: 0 } },
      { event: 'error', data: { code: 'DATA_LOSS', message: 'the tape snapped', data: { at: 1 } } },
    ]);
  });

  it('rejects invalid input before the stream starts, as plain JSON', async () => {
    const res = await fetch(`${base}/count?n=-1`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { code: string }).code).toBe('INVALID_ARGUMENT');
  });

  it('streams a synchronous iterable from a POST route', async () => {
    const res = await fetch(`${base}/sync`, { method: 'POST' });
    expect(parseSse(await res.text()).map((e) => e.data)).toEqual(['a', 'b', {}]);
  });

  it('answers HEAD on a stream route without starting it', async () => {
    const res = await fetch(`${base}/count?n=3`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    expect(await res.text()).toBe('');
  });

  it('sends heartbeat comments while a stream is silent', async () => {
    const quiet = service('quiet', {
      later: method({
        kind: 'server-stream',
        selectors: [rest('GET', '/later')],
        handler: async function* () {
          await new Promise((r) => setTimeout(r, 300));
          yield 'done';
        },
      }),
    });
    const gw = httpGateway({ host: '127.0.0.1', port: 0, sse: { heartbeat: 40 } });
    const own = createEdge({ services: [quiet], gateways: [gw], logger: silentLogger });
    await own.start();
    try {
      const text = await (await fetch(`http://127.0.0.1:${gw.port}/later`)).text();
      expect(text).toContain(': ping\n\n');
      expect(parseSse(text)).toEqual([
        { event: 'message', data: 'done' },
        { event: 'end', data: {} },
      ]);
    } finally {
      await own.shutdown({ timeout: 1000 });
    }
  });

  it('leaves nothing in flight, in the gateway or the edge', async () => {
    for (let i = 0; i < 200 && edge.inFlight > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(gateway.inFlight).toBe(0);
    expect(edge.inFlight).toBe(0);
  });
});
