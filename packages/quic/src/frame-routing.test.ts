import { FLAG_CALLEE, FrameType, HEADER_SIZE, Kind, MAGIC } from '@switchyard/stream';
import { describe, expect, it } from 'vitest';
import { endsCallFromCallee, routeOutgoing } from './frame-route.js';
import { FrameSplitter, frameHead, frameSize } from './frame-splitter.js';

function frame(type: number, flags: number, seq: number, body = 0, name = ''): Uint8Array {
  const nameBytes = new TextEncoder().encode(name);
  const f = new Uint8Array(HEADER_SIZE + nameBytes.length + body);
  const v = new DataView(f.buffer);
  v.setUint16(0, MAGIC, true);
  v.setUint8(2, 1);
  v.setUint8(3, type);
  v.setUint8(4, flags);
  v.setUint32(8, seq, true);
  v.setUint32(12, nameBytes.length ? 0x80000000 + nameBytes.length : 0, true);
  v.setUint32(16, body, true);
  f.set(nameBytes, HEADER_SIZE);
  return f;
}

function split(max: number, chunks: Uint8Array[]) {
  const frames: Uint8Array[] = [];
  const invalid: Uint8Array[] = [];
  const s = new FrameSplitter(
    max,
    (f) => frames.push(f),
    (b) => invalid.push(b),
  );
  for (const c of chunks) s.push(c);
  return { frames, invalid, broken: s.broken };
}

describe('FrameSplitter', () => {
  it('cuts frames split at any byte and several frames in one chunk', () => {
    const a = frame(FrameType.REQUEST, 0, 1, 5, 'echo');
    const b = frame(FrameType.PING, 0, 0);
    const all = new Uint8Array(a.length + b.length);
    all.set(a);
    all.set(b, a.length);
    for (let cut = 1; cut < all.length; cut++) {
      const { frames, invalid } = split(1024, [all.subarray(0, cut), all.subarray(cut)]);
      expect(invalid).toEqual([]);
      expect(frames.map((f) => f.length)).toEqual([a.length, b.length]);
    }
    expect(frameSize(a, 0)).toBe(HEADER_SIZE + 4 + 5);
  });

  it('hands over bad magic and oversize frames once, then stops', () => {
    const bad = split(1024, [new Uint8Array([1, 2, 3]), frame(FrameType.PING, 0, 0)]);
    expect(bad.frames).toEqual([]);
    expect(bad.invalid).toEqual([new Uint8Array([1, 2, 3])]);
    expect(bad.broken).toBe(true);
    const big = split(100, [frame(FrameType.REQUEST, 0, 1, 200)]);
    expect(big.frames).toEqual([]);
    expect(big.invalid.length).toBe(1);
  });
});

describe('routing', () => {
  const route = (type: number, flags: number, seq: number) =>
    routeOutgoing(frameHead(frame(type, flags, seq)));
  it('sends control frames, pushes and notifications on the control stream', () => {
    expect(route(FrameType.HELLO, 0, 0)).toBe('control');
    expect(route(FrameType.PING, 0, 0)).toBe('control');
    expect(route(FrameType.GOAWAY, 0, 0)).toBe('control');
    expect(route(FrameType.PUSH, 0, 3)).toBe('control');
    expect(route(FrameType.REQUEST, Kind.NOTIFY, 0)).toBe('control');
  });
  it('tells our calls from the peer calls by type and the CALLEE flag', () => {
    expect(route(FrameType.REQUEST, Kind.UNARY, 7)).toBe('own');
    expect(route(FrameType.CANCEL, 0, 7)).toBe('own');
    expect(route(FrameType.STREAM_DATA, 0, 7)).toBe('own');
    expect(route(FrameType.CREDIT, FLAG_CALLEE, 7)).toBe('peer');
    expect(route(FrameType.RESPONSE, FLAG_CALLEE, 7)).toBe('peer');
    expect(route(FrameType.ERROR, FLAG_CALLEE, 7)).toBe('peer');
    expect(route(FrameType.STREAM_END, FLAG_CALLEE, 7)).toBe('peer');
  });
  it('knows which callee frames end a call', () => {
    const ends = (type: number, flags: number) =>
      endsCallFromCallee(frameHead(frame(type, flags, 1)));
    expect(ends(FrameType.RESPONSE, FLAG_CALLEE)).toBe(true);
    expect(ends(FrameType.ERROR, FLAG_CALLEE)).toBe(true);
    expect(ends(FrameType.STREAM_END, FLAG_CALLEE)).toBe(true);
    expect(ends(FrameType.STREAM_END, 0)).toBe(false);
    expect(ends(FrameType.STREAM_DATA, FLAG_CALLEE)).toBe(false);
  });
});
