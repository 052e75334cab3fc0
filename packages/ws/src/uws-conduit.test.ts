import { SwitchyardError } from '@switchyard/stream';
import { describe, expect, it } from 'vitest';
import { UwsConduit, type UwsSocketLike } from './uws-conduit.js';

/** A uWS socket stand-in: records sends, returns scripted send() results. */
class FakeSocket implements UwsSocketLike {
  sent: Uint8Array[] = [];
  results: number[] = [];
  buffered = 0;
  ended: { code: number | undefined; reason: string | undefined } | undefined;
  onEnd: (() => void) | undefined;
  send(message: Uint8Array): number {
    this.sent.push(Uint8Array.from(message));
    return this.results.shift() ?? 1;
  }
  end(code?: number, reason?: string): void {
    this.ended = { code, reason };
    this.onEnd?.();
  }
  cork(cb: () => void): void {
    cb();
  }
  getBufferedAmount(): number {
    return this.buffered;
  }
}

function setup(options = { drainBelow: 100, maxInboxBytes: 10 }) {
  const socket = new FakeSocket();
  const conduit = new UwsConduit(socket, { id: 't', transport: 'ws' }, options);
  const events = { data: [] as number[][], drains: 0, closes: [] as (Error | undefined)[] };
  socket.onEnd = () => conduit.handleClose(socket.ended?.code ?? 1005, socket.ended?.reason ?? '');
  conduit.attach({
    data: (chunk) => events.data.push(Array.from(chunk)),
    drain: () => events.drains++,
    close: (error) => events.closes.push(error),
  });
  return { socket, conduit, events };
}

describe('UwsConduit', () => {
  it('sends each write as one binary message and maps send() results', () => {
    const { socket, conduit, events } = setup();
    expect(conduit.write(new Uint8Array([1, 2]))).toBe(true);
    socket.results.push(0); // uWS buffered it: backpressure
    expect(conduit.write(new Uint8Array([3]))).toBe(false);
    expect(socket.sent.map((m) => Array.from(m))).toEqual([[1, 2], [3]]);
    socket.buffered = 500;
    conduit.handleDrain();
    expect(events.drains).toBe(0); // still above drainBelow
    socket.buffered = 10;
    conduit.handleDrain();
    expect(events.drains).toBe(1);
  });

  it('closes with 1008 when uWS drops a message', () => {
    const { socket, conduit, events } = setup();
    socket.results.push(2);
    expect(conduit.write(new Uint8Array([1]))).toBe(false);
    expect(socket.ended?.code).toBe(1008);
    expect(conduit.closed).toBe(true);
    expect(events.closes[0]).toBeInstanceOf(SwitchyardError);
    expect(conduit.write(new Uint8Array([1]))).toBe(false);
  });

  it('holds messages while paused, bounded, and delivers them on resume', () => {
    const { socket, conduit, events } = setup();
    conduit.pause();
    conduit.handleMessage(new Uint8Array([1, 2, 3]).buffer);
    conduit.handleMessage(new Uint8Array([4]).buffer);
    expect(events.data).toEqual([]);
    conduit.resume();
    expect(events.data).toEqual([[1, 2, 3], [4]]);
    conduit.pause();
    conduit.handleMessage(new Uint8Array(11).buffer);
    expect(socket.ended?.code).toBe(1008);
    expect(events.closes).toHaveLength(1);
  });

  it('closes with the protocol error the session reported', () => {
    const { socket, conduit, events } = setup();
    conduit.setCloseReason(new SwitchyardError('PROTOCOL_ERROR', 'bad magic 0x1234'));
    conduit.close();
    expect(socket.ended).toEqual({ code: 1002, reason: 'bad magic 0x1234' });
    expect(events.closes).toHaveLength(1);
  });

  it('truncates long close reasons to what a close frame holds', () => {
    const { socket, conduit } = setup();
    conduit.close(new SwitchyardError('PROTOCOL_ERROR', 'é'.repeat(200)));
    expect(Buffer.byteLength(socket.ended?.reason ?? '')).toBeLessThanOrEqual(123);
    expect(socket.ended?.reason).toMatch(/^é+$/);
  });

  it('reports an abnormal remote close as an error and a clean one as none', () => {
    const a = setup();
    a.conduit.handleClose(1006, '');
    expect(a.events.closes[0]).toMatchObject({ code: 'UNAVAILABLE' });
    const b = setup();
    b.conduit.handleClose(1000, '');
    expect(b.events.closes).toEqual([undefined]);
  });
});
