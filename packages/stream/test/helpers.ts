import type { Conduit } from '../src/conduit.js';
import { createConduitPair } from '../src/conduit-pair.js';
import { FrameDecoder, type FrameView } from '../src/frame-decoder.js';
import { FrameWriter } from '../src/frame-writer.js';
import { createSession } from '../src/session.js';
import type { CallHandler, Session, SessionOptions } from '../src/session-types.js';

export function pair(
  handler?: CallHandler,
  serverOptions: Partial<SessionOptions> = {},
  clientOptions: Partial<SessionOptions> = {},
): { client: Session; server: Session } {
  const [a, b] = createConduitPair();
  const server = createSession(b, {
    role: 'server',
    keepalive: false,
    ...(handler ? { handler } : {}),
    ...serverOptions,
  });
  const client = createSession(a, { role: 'client', keepalive: false, ...clientOptions });
  return { client, server };
}

export interface DecodedFrame {
  type: number;
  flags: number;
  codec: number;
  seq: number;
  method: number;
  methodName: string;
  body: Buffer;
  blob: Buffer;
  ext: Buffer;
}

export function copyFrame(f: FrameView): DecodedFrame {
  return {
    type: f.type,
    flags: f.flags,
    codec: f.codec,
    seq: f.seq,
    method: f.method,
    methodName: f.methodName,
    ext: Buffer.from(f.buf.subarray(f.extStart, f.extStart + f.extLength)),
    body: Buffer.from(f.buf.subarray(f.bodyStart, f.bodyStart + f.bodyLength)),
    blob: Buffer.from(f.buf.subarray(f.blobStart, f.blobStart + f.blobLength)),
  };
}

/** A hand-driven peer: raw frames in and out, for protocol-level tests. */
export function rawPeer(conduit: Conduit): {
  frames: DecodedFrame[];
  errors: Error[];
  writer: FrameWriter;
  closed: Promise<Error | undefined>;
  writeBytes(b: Uint8Array): void;
} {
  const frames: DecodedFrame[] = [];
  const errors: Error[] = [];
  const decoder = new FrameDecoder({
    maxFrameSize: 16 * 1024 * 1024,
    onFrame: (f) => frames.push(copyFrame(f)),
    onError: (e) => errors.push(e),
  });
  let resolveClosed!: (e: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((r) => {
    resolveClosed = r;
  });
  conduit.attach({ data: (c) => decoder.push(c), drain: () => {}, close: (e) => resolveClosed(e) });
  const writer = new FrameWriter({ write: (c) => conduit.write(c) });
  return { frames, errors, writer, closed, writeBytes: (b) => conduit.write(b) };
}

export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 2));
  }
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

export function seedFromEnv(): number {
  const s = process.env.SEED ? Number(process.env.SEED) : Math.floor(Math.random() * 2 ** 31);
  console.log(`SEED=${s}`);
  return s;
}
