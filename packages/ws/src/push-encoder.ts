import { builtinCodecs } from '@switchyard/codec';
import { DEFAULT_MAX_FRAME_SIZE, FrameType, FrameWriter, type WireCodec } from '@switchyard/stream';

/**
 * Encodes a PUSH frame once so uWS native pub/sub can hand the same bytes to
 * every binary subscriber. Receivers ignore the push seq (PROTOCOL.md: pushes
 * are not answered), so one gateway-wide counter serves every connection.
 * Uses the stream package's own FrameWriter: the frame layout lives there.
 */
export class PushEncoder {
  private readonly writer: FrameWriter;
  private captured: Uint8Array | undefined;
  private seq = 0;
  private readonly codec: WireCodec;
  private readonly maxFrameSize: number;

  constructor(codec: WireCodec | undefined, maxFrameSize: number) {
    this.codec = codec ?? (builtinCodecs.msgpackr as WireCodec);
    this.maxFrameSize = Math.min(maxFrameSize, DEFAULT_MAX_FRAME_SIZE);
    this.writer = new FrameWriter({
      write: (chunk) => {
        this.captured = chunk;
        return true;
      },
      // Never flush on its own: encode() flushes synchronously.
      schedule: () => {},
    });
  }

  /** The frame bytes, or throws (SwitchyardError) when the value cannot be encoded or is too big. */
  encode(topic: string, value: unknown): Uint8Array {
    this.seq = (this.seq + 1) >>> 0 || 1;
    this.captured = undefined;
    this.writer.valueFrame(
      FrameType.PUSH,
      0,
      this.codec,
      this.seq,
      topic,
      value,
      this.maxFrameSize,
    );
    this.writer.flush();
    const bytes = this.captured as Uint8Array | undefined;
    this.captured = undefined;
    if (bytes === undefined) throw new Error('push frame was not produced');
    return bytes;
  }
}
