import { connect, type Socket } from 'node:net';
import { createClient } from '@switchyard/core';
import { describe, expect, it } from 'vitest';
import { connectWs } from './client-node.js';
import { type greeter, serve } from './test-helpers.js';

/** A TCP socket that completes the WebSocket upgrade and then never sends a byte (not even a pong). */
function silentClient(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let head = '';
    socket.once('error', reject);
    socket.on('data', function onData(chunk: Buffer) {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) reject(new Error(`upgrade refused: ${head}`));
      else resolve(socket);
    });
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
}

describe('idle timeout', () => {
  // uWS counts idleTimeout in seconds with ~4 s granularity; 8 s is its smallest.
  it('closes a connection that stops answering, and keeps one whose client answers pings', async () => {
    const served = await serve({ idleTimeout: 8 });
    try {
      const silent = await silentClient(served.gateway.port);
      const silentClosed = new Promise<number>((resolve) => {
        const opened = Date.now();
        silent.resume(); // discard the server's pings
        silent.once('close', () => resolve(Date.now() - opened));
      });
      // The `ws` client answers uWS's automatic pings, so it is never idle.
      const session = await connectWs(served.url, { reconnect: false });
      const client = createClient<typeof greeter>(session);
      await expect(client.greeter.hello({ name: 'before' })).resolves.toEqual({ msg: 'hi before' });

      const silentFor = await silentClosed;
      expect(silentFor).toBeGreaterThanOrEqual(7_000);
      // Still open well past the idle timeout: only the silent peer was cut.
      await expect(client.greeter.hello({ name: 'after' })).resolves.toEqual({ msg: 'hi after' });
      expect(served.gateway.stats.connections).toBe(1);
      session.close();
    } finally {
      await served.close();
    }
  }, 40_000);
});
