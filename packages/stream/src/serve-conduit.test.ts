import { describe, expect, it } from 'vitest';
import { rawPeer, until } from '../test/helpers.js';
import type { Conduit } from './conduit.js';
import { createConduitPair } from './conduit-pair.js';
import { SwitchyardError } from './error.js';
import { serveConduit } from './serve-conduit.js';
import { createSession } from './session.js';
import type { CallHandler } from './session-types.js';

const handler: CallHandler = (c) => {
  if (c.method === 'echo') return c.input;
  if (c.method === 'count') {
    return (async function* () {
      for (let i = 0; i < (c.input as number); i++) yield i;
    })();
  }
  if (c.method === 'fail') throw new SwitchyardError('FAILED_PRECONDITION', 'no');
  if (c.method === 'hang') return new Promise(() => {});
  return null;
};

/** Text client over a conduit: send lines, collect parsed reply lines. */
function textClient(conduit: Conduit): {
  lines: unknown[];
  raw: string[];
  send(s: string): void;
  closed: Promise<void>;
} {
  const lines: unknown[] = [];
  const raw: string[] = [];
  let buf = '';
  let resolve!: () => void;
  const closed = new Promise<void>((r) => {
    resolve = r;
  });
  conduit.attach({
    data(c) {
      buf += Buffer.from(c).toString('utf8');
      raw.push(Buffer.from(c).toString('latin1'));
      let i = buf.indexOf('\n');
      while (i >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        try {
          lines.push(JSON.parse(line));
        } catch {
          lines.push(line);
        }
        i = buf.indexOf('\n');
      }
    },
    drain() {},
    close() {
      resolve();
    },
  });
  return { lines, raw, send: (s) => conduit.write(Buffer.from(s)), closed };
}

describe('serveConduit (PROTOCOL.md §12)', () => {
  it('0xF5 first byte: binary session', async () => {
    const [a, b] = createConduitPair();
    const served = serveConduit(b, { handler, methods: ['echo', 'count'] });
    const client = createSession(a, { role: 'client', keepalive: false });
    expect(await client.call('echo', 'bin')).toBe('bin');
    expect(served.mode).toBe('binary');
    expect(served.session).toBeDefined();
    await served.goaway();
    await client.closed;
  });

  it('NDJSON text mode: calls, streams, notify, errors, bad lines, split lines', async () => {
    const [a, b] = createConduitPair();
    const served = serveConduit(b, { handler, keepalive: false });
    const c = textClient(a);
    c.send('{"id":1,"method":"echo","input":{"hi":1}}\n');
    c.send('{"id":2,"method":"cou');
    c.send('nt","input":3,"stream":true}\n{"method":"echo","input":"notify"}\n');
    c.send('not json\n');
    c.send('[1,2]\n');
    c.send('{"id":3,"method":"fail"}\n');
    c.send('{"id":4,"method":"hang","timeout":30}\n');
    await until(() => c.lines.length >= 9);
    expect(served.mode).toBe('text');
    expect(c.lines).toContainEqual({ id: 1, result: { hi: 1 } });
    expect(c.lines).toContainEqual({ id: 2, data: 0 });
    expect(c.lines).toContainEqual({ id: 2, data: 2 });
    expect(c.lines).toContainEqual({ id: 2, end: true });
    expect(c.lines).toContainEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'line 4 is not valid JSON' },
    });
    expect(c.lines).toContainEqual({
      error: { code: 'INVALID_ARGUMENT', message: 'line 5 is not a JSON object' },
    });
    expect(c.lines).toContainEqual({
      id: 3,
      error: { code: 'FAILED_PRECONDITION', message: 'no' },
    });
    expect(c.lines).toContainEqual({
      id: 4,
      error: { code: 'DEADLINE_EXCEEDED', message: 'deadline exceeded' },
    });
    served.close();
    await served.closed;
  });

  it('text mode: an over-long line is refused and the connection closed (bounded memory)', async () => {
    const [a, b] = createConduitPair();
    const served = serveConduit(b, { handler, maxLineLength: 100 });
    const c = textClient(a);
    c.send(`{"id":1,"method":"echo","input":"${'x'.repeat(50)}`);
    c.send(`${'x'.repeat(100)}`);
    await c.closed;
    expect(c.lines[0]).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    await served.closed;
  });

  it('rejects an HTTP request with a 400 and a clear log line', async () => {
    const [a, b] = createConduitPair();
    const rejects: Error[] = [];
    const served = serveConduit(b, { handler, onReject: (e) => rejects.push(e) });
    const c = textClient(a);
    c.send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await c.closed;
    expect(c.raw.join('')).toMatch(/^HTTP\/1.1 400 Bad Request/);
    expect(served.mode).toBe('rejected');
    expect(rejects[0]!.message).toMatch(/HTTP request/);
  });

  it('rejects random bytes at once, having buffered nothing', async () => {
    const [a, b] = createConduitPair();
    const rejects: Error[] = [];
    const served = serveConduit(b, { handler, onReject: (e) => rejects.push(e) });
    const peer = rawPeer(a);
    peer.writeBytes(Buffer.from([0x00, 0xff, 0x13, 0x37]));
    await peer.closed;
    await served.closed;
    expect(rejects[0]!.message).toMatch(/first byte 0x00 is neither/);
  });
});
