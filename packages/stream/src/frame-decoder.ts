import { SwitchyardError } from './error.js';
import {
  HEADER_SIZE,
  KNOWN_FLAGS,
  MAGIC,
  MAX_FRAME_TYPE,
  MAX_METHOD_NAME,
  METHOD_NAME_BIT,
  PROTOCOL_VERSION,
} from './frame.js';

/**
 * One decoded frame. The decoder reuses a single instance and the bytes are a
 * view into the input: valid only during the `onFrame` call (copy to keep).
 */
export interface FrameView {
  type: number;
  flags: number;
  codec: number;
  seq: number;
  /** Numeric method id, or -1 when the frame carries a method name. */
  method: number;
  /** Method name when sent by name, else ''. */
  methodName: string;
  buf: Buffer;
  extStart: number;
  extLength: number;
  bodyStart: number;
  bodyLength: number;
  blobStart: number;
  blobLength: number;
}

export interface FrameDecoderOptions {
  maxFrameSize: number;
  onFrame(frame: FrameView): void;
  /** A broken frame; the decoder stops and ignores all further input. */
  onError(error: SwitchyardError): void;
}

// Header fields are read with plain byte loads: Buffer's readUInt*LE validate
// their offset argument on every call, and this runs for every frame.
function u16(b: Buffer, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

function u32(b: Buffer, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk)
    ? chunk
    : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * Incremental decoder (PROTOCOL.md §2.5): accepts chunks cut anywhere, checks
 * the declared length against the max frame size before allocating, and
 * copies only frames that span chunks (into one buffer of the exact size).
 */
export class FrameDecoder {
  maxFrameSize: number;
  private readonly onFrame: (frame: FrameView) => void;
  private readonly onError: (error: SwitchyardError) => void;
  private readonly header = Buffer.alloc(HEADER_SIZE);
  private headerFilled = 0;
  private assembly: Buffer | undefined;
  private assemblyFilled = 0;
  private failed = false;
  private readonly view: FrameView = {
    type: 0,
    flags: 0,
    codec: 0,
    seq: 0,
    method: 0,
    methodName: '',
    buf: Buffer.alloc(0),
    extStart: 0,
    extLength: 0,
    bodyStart: 0,
    bodyLength: 0,
    blobStart: 0,
    blobLength: 0,
  };

  constructor(options: FrameDecoderOptions) {
    this.maxFrameSize = options.maxFrameSize;
    this.onFrame = options.onFrame;
    this.onError = options.onError;
  }

  get hasFailed(): boolean {
    return this.failed;
  }

  /** Bytes held for an incomplete frame (bounded by the max frame size). */
  get buffered(): number {
    return this.assembly ? this.assemblyFilled : this.headerFilled;
  }

  push(input: Uint8Array): void {
    if (this.failed) return;
    const chunk = asBuffer(input);
    let off = 0;
    const end = chunk.length;
    while (off < end && !this.failed) {
      if (this.assembly) {
        const asm = this.assembly;
        const n = Math.min(asm.length - this.assemblyFilled, end - off);
        chunk.copy(asm, this.assemblyFilled, off, off + n);
        this.assemblyFilled += n;
        off += n;
        if (this.assemblyFilled === asm.length) {
          this.assembly = undefined;
          this.assemblyFilled = 0;
          this.emit(asm, 0, asm.length);
        }
        continue;
      }
      if (this.headerFilled > 0 || end - off < HEADER_SIZE) {
        const n = Math.min(HEADER_SIZE - this.headerFilled, end - off);
        chunk.copy(this.header, this.headerFilled, off, off + n);
        this.headerFilled += n;
        off += n;
        if (this.headerFilled < HEADER_SIZE) return;
        this.headerFilled = 0;
        const total = this.check(this.header, 0);
        if (total < 0) return;
        const asm = Buffer.allocUnsafe(total);
        this.header.copy(asm, 0, 0, HEADER_SIZE);
        if (total === HEADER_SIZE) {
          this.emit(asm, 0, total);
        } else {
          this.assembly = asm;
          this.assemblyFilled = HEADER_SIZE;
        }
        continue;
      }
      const total = this.check(chunk, off);
      if (total < 0) return;
      if (end - off >= total) {
        this.emit(chunk, off, total);
        off += total;
        continue;
      }
      // Partial frame: one copy into a buffer of the exact declared size.
      const asm = Buffer.allocUnsafe(total);
      chunk.copy(asm, 0, off, end);
      this.assembly = asm;
      this.assemblyFilled = end - off;
      return;
    }
  }

  /** Validates a header; returns the total frame size, or -1 after reporting the error. */
  private check(buf: Buffer, off: number): number {
    const magic = u16(buf, off);
    if (magic !== MAGIC) {
      return this.fail(
        'PROTOCOL_ERROR',
        `bad magic 0x${magic.toString(16).padStart(4, '0')}: not a Switchyard stream`,
      );
    }
    const version = buf[off + 2]!;
    if (version !== PROTOCOL_VERSION) {
      return this.fail('PROTOCOL_ERROR', `unsupported protocol version ${version}`);
    }
    const type = buf[off + 3]!;
    if (type === 0 || type > MAX_FRAME_TYPE) {
      return this.fail('PROTOCOL_ERROR', `unknown frame type ${type}`);
    }
    const flags = buf[off + 4]!;
    if ((flags & ~KNOWN_FLAGS) !== 0) {
      return this.fail('PROTOCOL_ERROR', `unknown flag bits 0x${flags.toString(16)}`);
    }
    const method = u32(buf, off + 12);
    let nameLength = 0;
    if (method >= METHOD_NAME_BIT) {
      nameLength = method - METHOD_NAME_BIT;
      if (nameLength === 0 || nameLength > MAX_METHOD_NAME) {
        return this.fail('PROTOCOL_ERROR', `method name length ${nameLength} out of range`);
      }
    }
    const total =
      HEADER_SIZE + nameLength + u16(buf, off + 6) + u32(buf, off + 16) + u32(buf, off + 20);
    if (total > this.maxFrameSize) {
      return this.fail(
        'PAYLOAD_TOO_LARGE',
        `frame of ${total} bytes exceeds the max frame size ${this.maxFrameSize}`,
      );
    }
    return total;
  }

  private fail(code: 'PROTOCOL_ERROR' | 'PAYLOAD_TOO_LARGE', message: string): -1 {
    this.failed = true;
    this.assembly = undefined;
    this.onError(new SwitchyardError(code, message));
    return -1;
  }

  private emit(buf: Buffer, off: number, total: number): void {
    const v = this.view;
    v.type = buf[off + 3]!;
    v.flags = buf[off + 4]!;
    v.codec = buf[off + 5]!;
    v.extLength = u16(buf, off + 6);
    v.seq = u32(buf, off + 8);
    const method = u32(buf, off + 12);
    v.bodyLength = u32(buf, off + 16);
    v.blobLength = u32(buf, off + 20);
    let pos = off + HEADER_SIZE;
    if (method >= METHOD_NAME_BIT) {
      const n = method - METHOD_NAME_BIT;
      v.method = -1;
      v.methodName = buf.toString('utf8', pos, pos + n);
      pos += n;
    } else {
      v.method = method;
      v.methodName = '';
    }
    v.buf = buf;
    v.extStart = pos;
    pos += v.extLength;
    v.bodyStart = pos;
    pos += v.bodyLength;
    v.blobStart = pos;
    if (pos + v.blobLength !== off + total) {
      this.fail('PROTOCOL_ERROR', 'frame length fields are inconsistent');
      return;
    }
    this.onFrame(v);
  }
}
