/**
 * Stream-protocol frames for the lean bench client, built once with the
 * stream package's own FrameWriter (the client then only patches the seq).
 */
import { builtinCodecs } from '@switchyard/codec';
import { FLAG_RAW, FrameType, FrameWriter, HEADER_SIZE, type WireCodec } from '@switchyard/stream';

const json = builtinCodecs.json as WireCodec;

function build(fill: (writer: FrameWriter) => void): Uint8Array {
  let out: Uint8Array | undefined;
  const writer = new FrameWriter({
    write: (chunk) => {
      out = new Uint8Array(chunk);
      return true;
    },
    schedule: () => {},
  });
  fill(writer);
  writer.flush();
  if (out === undefined) throw new Error('no frame produced');
  return out;
}

/** The client HELLO (PROTOCOL.md §3); keepalive off so the bench sees only calls. */
export function helloFrame(): Uint8Array {
  const hello = {
    versions: [1],
    role: 'client',
    codec: 1,
    codecs: [0, 1, 2],
    maxFrameSize: 4 * 1024 * 1024,
    window: 4096,
    streamCredit: 64,
    keepalive: null,
    methods: [],
  };
  return build((w) => w.frame(FrameType.HELLO, 0, json.id, 0, 0, json.encode(hello)));
}

/** A unary REQUEST for method id `method` carrying `payload` raw; seq at byte 8. */
export function requestFrame(method: number, payload: Uint8Array): Uint8Array {
  return build((w) => w.frame(FrameType.REQUEST, FLAG_RAW, 1, 1, method, undefined, payload));
}

export const SEQ_OFFSET = 8;

/** Reads the server HELLO's method list (the body is JSON). */
export function parseHelloMethods(message: Uint8Array): string[] {
  const view = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  if (view[3] !== FrameType.HELLO) throw new Error(`expected HELLO, got frame type ${view[3]}`);
  const ext = view.readUInt16LE(6);
  const method = view.readUInt32LE(12);
  const nameLen = method >= 0x80000000 ? method - 0x80000000 : 0;
  const bodyLen = view.readUInt32LE(16);
  const start = HEADER_SIZE + nameLen + ext;
  const hello = JSON.parse(view.subarray(start, start + bodyLen).toString('utf8')) as {
    methods: string[];
  };
  return hello.methods;
}

/** Counts RESPONSE frames in one WebSocket message (several frames may share it); throws on ERROR. */
export function countReplies(message: Uint8Array): number {
  const view = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  let offset = 0;
  let replies = 0;
  while (offset + HEADER_SIZE <= view.byteLength) {
    const type = view[offset + 3]!;
    const ext = view.readUInt16LE(offset + 6);
    const method = view.readUInt32LE(offset + 12);
    const nameLen = method >= 0x80000000 ? method - 0x80000000 : 0;
    const total =
      HEADER_SIZE + nameLen + ext + view.readUInt32LE(offset + 16) + view.readUInt32LE(offset + 20);
    if (type === FrameType.RESPONSE) replies++;
    else if (type === FrameType.ERROR) {
      const body = view.subarray(offset + HEADER_SIZE + nameLen + ext, offset + total);
      throw new Error(`server answered ERROR: ${body.toString('utf8')}`);
    }
    offset += total;
  }
  return replies;
}
