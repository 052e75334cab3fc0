import { HEADER_SIZE, MAGIC_BYTE0 } from '@switchyard/stream';

/**
 * Cuts a byte stream into whole protocol frames (PROTOCOL.md §2.1) without
 * interpreting them. The QUIC mapping needs this on both sides: frames read
 * from several QUIC streams must reach the session whole (never interleaved
 * mid-frame), and frames the session writes must be routed one by one.
 *
 * Bounded: it holds at most one partial frame of at most `maxFrameSize`
 * bytes. Bytes that do not start with the magic, or a header that declares a
 * frame larger than the bound, are handed to `onInvalid` as they are, once,
 * and the splitter stops: the session's own decoder then reports the precise
 * protocol error to the peer.
 */
export class FrameSplitter {
  private partial: Uint8Array | undefined;
  private failed = false;

  constructor(
    private readonly maxFrameSize: number,
    private readonly onFrame: (frame: Uint8Array) => void,
    private readonly onInvalid: (bytes: Uint8Array) => void,
  ) {}

  get broken(): boolean {
    return this.failed;
  }

  /** Bytes of an incomplete frame held until the rest arrives. */
  get buffered(): number {
    return this.partial?.length ?? 0;
  }

  push(chunk: Uint8Array): void {
    if (this.failed || chunk.length === 0) return;
    let buf = chunk;
    if (this.partial) {
      const joined = new Uint8Array(this.partial.length + chunk.length);
      joined.set(this.partial, 0);
      joined.set(chunk, this.partial.length);
      buf = joined;
      this.partial = undefined;
    }
    let off = 0;
    while (off < buf.length) {
      if (buf[off] !== MAGIC_BYTE0) {
        this.fail(buf.subarray(off));
        return;
      }
      if (buf.length - off < HEADER_SIZE) break;
      const size = frameSize(buf, off);
      if (size > this.maxFrameSize) {
        this.fail(buf.subarray(off));
        return;
      }
      if (buf.length - off < size) break;
      // A copy: the caller may reuse its chunk, and frames outlive this call.
      this.onFrame(buf.slice(off, off + size));
      off += size;
    }
    if (off < buf.length) this.partial = buf.slice(off);
  }

  private fail(rest: Uint8Array): void {
    this.failed = true;
    this.partial = undefined;
    this.onInvalid(rest.slice());
  }
}

/** Total size of the frame whose header starts at `off` (header + name + ext + body + blob). */
export function frameSize(buf: Uint8Array, off: number): number {
  const view = new DataView(buf.buffer, buf.byteOffset + off, HEADER_SIZE);
  const ext = view.getUint16(6, true);
  const method = view.getUint32(12, true);
  const name = method & 0x80000000 ? method & 0x7fffffff : 0;
  return HEADER_SIZE + name + ext + view.getUint32(16, true) + view.getUint32(20, true);
}

export interface FrameHead {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
}

/** Reads the routing fields of a whole frame. */
export function frameHead(frame: Uint8Array): FrameHead {
  const view = new DataView(frame.buffer, frame.byteOffset, HEADER_SIZE);
  return { type: view.getUint8(3), flags: view.getUint8(4), seq: view.getUint32(8, true) };
}
