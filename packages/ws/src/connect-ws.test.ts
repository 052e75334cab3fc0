import { createRequire } from 'node:module';
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';
import { createClient } from '@switchyard/core';
import type { Session } from '@switchyard/stream';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connectWs as connectBrowser, type WebSocketConstructor } from './client-browser.js';
import { connectWs } from './client-node.js';
import { type greeter, serve, until } from './test-helpers.js';

describe('connectWs (Node)', () => {
  it('rejects bad URLs and unreachable servers with clear errors', async () => {
    await expect(connectWs('http://127.0.0.1:1/')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    await expect(connectWs('not a url')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Port 1 on loopback: connection refused.
    await expect(connectWs('ws://127.0.0.1:1/', { connectTimeout: 5000 })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  it('reconnects with backoff and lets calls wait for the new connection', async () => {
    const served = await serve();
    // A TCP proxy in front of the server lets the test cut connections and
    // refuse new ones while the server itself keeps running.
    let refusing = false;
    const links = new Set<Socket>();
    const proxy = createServer((client) => {
      if (refusing) {
        client.destroy();
        return;
      }
      const upstream = connect(served.gateway.port, '127.0.0.1');
      for (const s of [client, upstream]) {
        links.add(s);
        s.on('error', () => {});
        s.on('close', () => {
          links.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(proxy.address() as AddressInfo).port}/`;
    let connects = 0;
    const session = await connectWs(url, {
      reconnect: { initialDelay: 20, maxDelay: 100 },
      onConnect: () => {
        connects++;
      },
    });
    try {
      const client = createClient<typeof greeter>(session);
      await expect(client.greeter.hello({ name: 'a' })).resolves.toEqual({ msg: 'hi a' });

      // A call in flight when the connection drops fails: only the caller knows if a retry is safe.
      const inFlight = session.call('greeter.slow', { ms: 5000 });
      inFlight.catch(() => {});
      await new Promise((r) => setTimeout(r, 20));
      refusing = true;
      for (const s of links) s.destroy();
      await expect(inFlight).rejects.toMatchObject({ code: 'UNAVAILABLE' });

      // Calls made while disconnected wait for the next connection.
      const waiting = client.greeter.hello({ name: 'b' }, { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 150));
      refusing = false;
      await expect(waiting).resolves.toEqual({ msg: 'hi b' });
      await until(() => connects >= 2);
    } finally {
      session.close();
      proxy.close();
      for (const s of links) s.destroy();
      await served.close();
    }
    await expect(session.call('greeter.hello', { name: 'c' })).rejects.toMatchObject({
      code: 'UNAVAILABLE',
    });
  });

  it('gives up after maxAttempts and fails waiting calls', async () => {
    const served = await serve();
    const session = await connectWs(served.url, {
      reconnect: { initialDelay: 10, maxDelay: 20, maxAttempts: 2 },
      connectTimeout: 1000,
    });
    await served.close();
    const call = session.call('greeter.hello', { name: 'x' }, { timeout: 10_000 });
    await expect(call).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await session.closed;
    expect(session.isClosed).toBe(true);
  });

  it('bounds the calls waiting for a connection', async () => {
    const served = await serve();
    const session = await connectWs(served.url, {
      reconnect: { initialDelay: 5000 },
      maxWaiting: 2,
    });
    await served.close();
    await until(() => !(session as Session & { connected: boolean }).connected);
    const waiting = [
      session.call('greeter.hello', { name: '1' }),
      session.call('greeter.hello', { name: '2' }),
    ];
    for (const w of waiting) w.catch(() => {});
    await expect(session.call('greeter.hello', { name: '3' })).rejects.toMatchObject({
      code: 'RESOURCE_EXHAUSTED',
    });
    session.close();
    for (const w of waiting) await expect(w).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });
});

describe('browser build', () => {
  it('bundles for the browser with no Node built-ins', async () => {
    // esbuild comes with tsup (a workspace dev dependency); platform 'browser'
    // fails on any node: import or Node built-in reachable from the entry.
    const require = createRequire(import.meta.url);
    const esbuild = createRequire(require.resolve('tsup'))('esbuild') as {
      build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
    };
    const result = await esbuild.build({
      entryPoints: [new URL('./client-browser.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      logLevel: 'silent',
    });
    const text = result.outputFiles[0]!.text;
    expect(text).not.toMatch(/from\s*["']node:/);
    expect(text).not.toMatch(
      /require\(["'](node:)?(net|tls|http|https|fs|crypto|stream|events)["']\)/,
    );
    expect(text).not.toContain('uWebSockets');
  }, 30_000);

  it('works over a WHATWG WebSocket implementation', async () => {
    const served = await serve();
    try {
      const session = await connectBrowser(served.url, {
        reconnect: false,
        WebSocket: WebSocket as unknown as WebSocketConstructor,
      });
      const client = createClient<typeof greeter>(session);
      await expect(client.greeter.hello({ name: 'web' })).resolves.toEqual({ msg: 'hi web' });
      session.close();
    } finally {
      await served.close();
    }
  });

  it('packs the calls made in one turn into one WebSocket message (the bench relies on it)', async () => {
    const served = await serve();
    const sent: number[] = [];
    // Records the size of every message the client sends.
    class CountingWebSocket extends WebSocket {
      override send(data: Parameters<WebSocket['send']>[0]): void {
        sent.push((data as ArrayBufferView).byteLength);
        super.send(data);
      }
    }
    try {
      const session = await connectBrowser(served.url, {
        reconnect: false,
        WebSocket: CountingWebSocket as unknown as WebSocketConstructor,
      });
      const client = createClient<typeof greeter>(session);
      await client.greeter.hello({ name: 'warm' });
      const before = sent.length;
      const names = Array.from({ length: 50 }, (_, i) => `n${i}`);
      const replies = await Promise.all(names.map((name) => client.greeter.hello({ name })));
      expect(replies).toEqual(names.map((name) => ({ msg: `hi ${name}` })));
      expect(sent.length - before).toBe(1);
      session.close();
    } finally {
      await served.close();
    }
  });

  it('fails clearly without a WebSocket implementation or a Buffer global', async () => {
    await expect(connectBrowser('ws://127.0.0.1:1/')).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    const saved = globalThis.Buffer;
    try {
      (globalThis as { Buffer?: unknown }).Buffer = undefined;
      await expect(
        connectBrowser('ws://127.0.0.1:1/', {
          WebSocket: WebSocket as unknown as WebSocketConstructor,
        }),
      ).rejects.toThrow(/global Buffer/);
    } finally {
      globalThis.Buffer = saved;
    }
  });
});
