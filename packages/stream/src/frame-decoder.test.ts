import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyFrame, type DecodedFrame, seedFromEnv } from '../test/helpers.js';
import type { SwitchyardError } from './error.js';
import { FLAG_RAW, FrameType, HEADER_SIZE, MAGIC } from './frame.js';
import { FrameDecoder } from './frame-decoder.js';
import { FrameWriter } from './frame-writer.js';

function encodeAll(
  frames: { type: number; seq: number; method: number | string; body: Buffer; blob: Buffer }[],
): Buffer {
  const out: Uint8Array[] = [];
  const w = new FrameWriter({
    write: (c) => {
      out.push(c);
      return true;
    },
    schedule: () => {},
  });
  for (const f of frames) w.frame(f.type, 0, 1, f.seq, f.method, f.body, f.blob);
  w.flush();
  return Buffer.concat(out);
}

function decodeChunks(
  chunks: Uint8Array[],
  max = 1 << 20,
): { frames: DecodedFrame[]; errors: SwitchyardError[] } {
  const frames: DecodedFrame[] = [];
  const errors: SwitchyardError[] = [];
  const d = new FrameDecoder({
    maxFrameSize: max,
    onFrame: (f) => frames.push(copyFrame(f)),
    onError: (e) => errors.push(e),
  });
  for (const c of chunks) d.push(c);
  return { frames, errors };
}

function header(
  over: Partial<Record<'magic' | 'version' | 'type' | 'flags' | 'method' | 'body', number>> = {},
): Buffer {
  const b = Buffer.alloc(HEADER_SIZE);
  b.writeUInt16LE(over.magic ?? MAGIC, 0);
  b[2] = over.version ?? 1;
  b[3] = over.type ?? FrameType.PING;
  b[4] = over.flags ?? 0;
  b.writeUInt32LE(over.method ?? 0, 12);
  b.writeUInt32LE(over.body ?? 0, 16);
  return b;
}

const frameArb = fc.record({
  type: fc.integer({ min: 1, max: 12 }),
  seq: fc.nat(),
  method: fc.oneof(fc.nat({ max: 0x7fffffff }), fc.string({ minLength: 1, maxLength: 40 })),
  body: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  blob: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
});

describe('FrameDecoder (PROTOCOL.md §2)', () => {
  it('§2.5 decodes frames split at arbitrary chunk boundaries (property)', () => {
    const seed = seedFromEnv();
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 20 }),
        fc.array(fc.nat({ max: 64 }), { maxLength: 50 }),
        (frames, cuts) => {
          const bytes = encodeAll(frames);
          const chunks: Uint8Array[] = [];
          let off = 0;
          for (const c of cuts) {
            if (off >= bytes.length) break;
            chunks.push(bytes.subarray(off, off + c));
            off += c;
          }
          chunks.push(bytes.subarray(off));
          const { frames: got, errors } = decodeChunks(chunks);
          expect(errors).toEqual([]);
          expect(got.length).toBe(frames.length);
          got.forEach((g, i) => {
            const f = frames[i]!;
            expect(g.type).toBe(f.type);
            expect(g.seq).toBe(f.seq);
            if (typeof f.method === 'string') expect(g.methodName).toBe(f.method);
            else expect(g.method).toBe(f.method);
            expect(g.body.equals(f.body)).toBe(true);
            expect(g.blob.equals(f.blob)).toBe(true);
          });
        },
      ),
      { seed, numRuns: 200 },
    );
  });

  it('§2.5 one byte at a time', () => {
    const bytes = encodeAll([
      {
        type: FrameType.REQUEST,
        seq: 7,
        method: 'echo',
        body: Buffer.from('abc'),
        blob: Buffer.alloc(0),
      },
    ]);
    const { frames } = decodeChunks([...bytes].map((b) => Uint8Array.of(b)));
    expect(frames).toHaveLength(1);
    expect(frames[0]!.methodName).toBe('echo');
  });

  it('§2.5 rejects a declared length over the max before allocating', () => {
    const d = new FrameDecoder({ maxFrameSize: 1024, onFrame: () => {}, onError: () => {} });
    const errors: SwitchyardError[] = [];
    const d2 = new FrameDecoder({
      maxFrameSize: 1024,
      onFrame: () => {},
      onError: (e) => errors.push(e),
    });
    d2.push(header({ type: FrameType.RESPONSE, body: 0xfffffff0 }));
    expect(errors[0]?.code).toBe('PAYLOAD_TOO_LARGE');
    expect(d2.buffered).toBe(0);
    expect(d.buffered).toBe(0);
  });

  it.each([
    ['bad magic', { magic: 0x1234 }, /bad magic/],
    ['bad version', { version: 9 }, /unsupported protocol version 9/],
    ['type 0', { type: 0 }, /unknown frame type 0/],
    ['type 200', { type: 200 }, /unknown frame type 200/],
    ['unknown flags', { flags: 0x80 }, /unknown flag bits/],
    ['empty method name', { method: 0x80000000 }, /method name length/],
    ['huge method name', { method: 0x80000000 + 5000 }, /method name length/],
  ])('§2.5 rejects %s with PROTOCOL_ERROR and stops', (_name, over, msg) => {
    const { frames, errors } = decodeChunks([header(over), header()]);
    expect(frames).toHaveLength(0);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe('PROTOCOL_ERROR');
    expect(errors[0]!.message).toMatch(msg);
  });

  it('§2.5 a truncated frame is held (bounded) and never emitted', () => {
    const bytes = encodeAll([
      {
        type: FrameType.RESPONSE,
        seq: 1,
        method: 0,
        body: Buffer.alloc(500, 1),
        blob: Buffer.alloc(0),
      },
    ]);
    const frames: unknown[] = [];
    const d = new FrameDecoder({
      maxFrameSize: 4096,
      onFrame: (f) => frames.push(f),
      onError: () => {},
    });
    d.push(bytes.subarray(0, 100));
    expect(frames).toHaveLength(0);
    expect(d.buffered).toBe(100);
    d.push(bytes.subarray(100));
    expect(frames).toHaveLength(1);
    expect(d.buffered).toBe(0);
  });

  it('§2.5 random bytes never throw and never buffer more than one max frame (fuzz)', () => {
    const seed = seedFromEnv();
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 30 }),
        fc.boolean(),
        (chunks, withMagic) => {
          const d = new FrameDecoder({ maxFrameSize: 2048, onFrame: () => {}, onError: () => {} });
          if (withMagic) d.push(Uint8Array.of(0xf5, 0x59, 1));
          for (const c of chunks) {
            d.push(c);
            expect(d.buffered).toBeLessThanOrEqual(2048);
          }
        },
      ),
      { seed, numRuns: 300 },
    );
  });

  it('§2.4 RAW frames keep the blob', () => {
    const out: Uint8Array[] = [];
    const w = new FrameWriter({
      write: (c) => {
        out.push(c);
        return true;
      },
      schedule: () => {},
    });
    w.valueFrame(
      FrameType.RESPONSE,
      0,
      { id: 1, name: 'x', encode: () => new Uint8Array(), decode: () => 0 },
      3,
      0,
      Buffer.from('hey'),
      1 << 20,
    );
    w.flush();
    const { frames } = decodeChunks(out);
    expect(frames[0]!.flags & FLAG_RAW).toBe(FLAG_RAW);
    expect(frames[0]!.blob.toString()).toBe('hey');
  });

  it('§2.6 frames written in one tick leave in one write', async () => {
    const writes: Uint8Array[] = [];
    const w = new FrameWriter({
      write: (c) => {
        writes.push(c);
        return true;
      },
    });
    for (let i = 0; i < 100; i++) w.frame(FrameType.PING, 0, 0, 0, i);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    expect(writes).toHaveLength(1);
    expect(writes[0]!.length).toBe(100 * HEADER_SIZE);
  });

  it('§2.6 honours write() === false until drain', async () => {
    const writes: Uint8Array[] = [];
    let accept = false;
    const w = new FrameWriter({
      write: (c) => {
        writes.push(c);
        return accept;
      },
      schedule: () => {},
    });
    w.frame(FrameType.PING, 0, 0, 0, 1);
    w.flush();
    w.frame(FrameType.PING, 0, 0, 0, 2);
    w.flush();
    expect(writes).toHaveLength(1);
    expect(w.pending).toBe(HEADER_SIZE);
    accept = true;
    w.drain();
    expect(writes).toHaveLength(2);
    expect(w.pending).toBe(0);
  });

  it('rolls back a frame whose encoded body exceeds the max frame size', () => {
    const out: Uint8Array[] = [];
    const w = new FrameWriter({
      write: (c) => {
        out.push(c);
        return true;
      },
      schedule: () => {},
    });
    const codec = {
      id: 1,
      name: 't',
      encode: (v: unknown) => Buffer.from(String(v)),
      decode: () => 0,
      encodeInto: (v: unknown, t: Uint8Array, o: number) => {
        const b = Buffer.from(String(v));
        if (t.length - o < b.length) return -b.length;
        t.set(b, o);
        return b.length;
      },
    };
    expect(() => w.valueFrame(FrameType.RESPONSE, 0, codec, 1, 0, 'x'.repeat(5000), 1024)).toThrow(
      /exceeds/,
    );
    expect(w.pending).toBe(0);
    w.valueFrame(FrameType.RESPONSE, 0, codec, 1, 0, 'ok', 1024);
    w.flush();
    const { frames } = decodeChunks(out);
    expect(frames[0]!.body.toString()).toBe('ok');
  });
});
