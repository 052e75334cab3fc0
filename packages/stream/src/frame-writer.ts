import { SwitchyardError } from './error.js';
import { FLAG_RAW, HEADER_SIZE, MAGIC, METHOD_NAME_BIT, PROTOCOL_VERSION } from './frame.js';
import { SLAB_MAX_COPY, slabCopy } from './slab.js';
import type { WireCodec } from './wire-codec.js';

export interface FrameWriterOptions {
  /** Hands one batch to the transport; false means "wait for drain". */
  write(chunk: Uint8Array): boolean;
  /**
   * Runs `flush` once later. Default: the first batch of an event-loop turn
   * leaves at the end of the current callback (a microtask: lowest latency),
   * later batches of the same turn coalesce until setImmediate (fewest writes
   * under load).
   */
  schedule?: (flush: () => void) => void;
  /** Flush at once when this many bytes are queued (default 256 KiB). */
  flushAt?: number;
}

// Small to start: an idle connection should cost little; the buffer grows
// (and is kept, up to SLAB_MAX_COPY) when a busy connection needs it.
const INITIAL_CAPACITY = 4 * 1024;

// Node's queueMicrotask wraps every callback in an AsyncResource plus a bound
// function (~300 B and async-hook bookkeeping per flush); a reaction on an
// already-resolved promise runs at the same point of the microtask queue for
// a fraction of that.
const resolved = Promise.resolve();

// Event-loop turns, counted once for the whole process: a server with many
// connections pays one setImmediate per turn to notice the turn ended, not
// one per connection.
let turn = 0;
let turnEndScheduled = false;
function endTurn(): void {
  turnEndScheduled = false;
  turn++;
}

/**
 * Encodes frames straight into one reusable buffer and hands everything
 * produced in one tick to the transport as a single write (PROTOCOL.md §2.6).
 * When the transport reports backpressure it keeps queuing (the session bounds
 * how much by pausing its reader) and writes again on `drain()`.
 */
export class FrameWriter {
  private buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
  private pos = 0;
  private scheduled = false;
  private blocked = false;
  private readonly sink: (chunk: Uint8Array) => boolean;
  private readonly schedule: (flush: () => void) => void;
  private readonly flushAt: number;
  private readonly flushBound = (): void => {
    this.scheduled = false;
    this.flush();
  };
  private readonly names = new Map<string, Buffer>();
  closed = false;

  constructor(options: FrameWriterOptions) {
    this.sink = options.write;
    this.schedule = options.schedule ?? ((fn) => this.adaptiveSchedule(fn));
    this.flushAt = options.flushAt ?? 256 * 1024;
  }

  /** The turn in which this writer last flushed at the end of a callback. */
  private flushedTurn = -1;

  private adaptiveSchedule(fn: () => void): void {
    if (this.flushedTurn === turn) {
      setImmediate(fn);
      return;
    }
    this.flushedTurn = turn;
    if (!turnEndScheduled) {
      turnEndScheduled = true;
      setImmediate(endTurn);
    }
    void resolved.then(fn);
  }

  /** Bytes encoded but not yet accepted by the transport. */
  get pending(): number {
    return this.pos;
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = Buffer.allocUnsafe(cap);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private nameBytes(name: string): Buffer {
    let b = this.names.get(name);
    if (!b) {
      b = Buffer.from(name, 'utf8');
      // Bounded cache: method names repeat, arbitrary topics should not grow it forever.
      if (this.names.size < 1024) this.names.set(name, b);
    }
    return b;
  }

  /** Byte length a frame will take on the wire (for max-frame-size checks). */
  frameSize(methodName: string | undefined, ext: number, body: number, blob: number): number {
    return (
      HEADER_SIZE +
      (methodName === undefined ? 0 : this.nameBytes(methodName).length) +
      ext +
      body +
      blob
    );
  }

  /**
   * Appends one frame. `method` is a numeric id, or a name sent inline.
   * `ext` is a pre-encoded extension block (REQUEST deadline + metadata).
   */
  frame(
    type: number,
    flags: number,
    codec: number,
    seq: number,
    method: number | string,
    body?: Uint8Array,
    blob?: Uint8Array,
    ext?: Uint8Array,
  ): void {
    if (this.closed) return;
    this.put(type, flags, codec, seq, method, body, blob, ext);
    this.committed();
  }

  private committed(): void {
    if (this.pos >= this.flushAt) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      this.schedule(this.flushBound);
    }
  }

  private put(
    type: number,
    flags: number,
    codec: number,
    seq: number,
    method: number | string,
    body?: Uint8Array,
    blob?: Uint8Array,
    ext?: Uint8Array,
  ): void {
    const name = typeof method === 'string' ? this.nameBytes(method) : undefined;
    const nameLen = name ? name.length : 0;
    const extLen = ext ? ext.length : 0;
    const bodyLen = body ? body.length : 0;
    const blobLen = blob ? blob.length : 0;
    this.ensure(HEADER_SIZE + nameLen + extLen + bodyLen + blobLen);
    const b = this.buf;
    let p = this.pos;
    // Plain byte stores: Buffer's writeUInt*LE validate their arguments on every call.
    b[p] = MAGIC & 0xff;
    b[p + 1] = MAGIC >>> 8;
    b[p + 2] = PROTOCOL_VERSION;
    b[p + 3] = type;
    b[p + 4] = flags;
    b[p + 5] = codec;
    b[p + 6] = extLen;
    b[p + 7] = extLen >>> 8;
    putU32(b, p + 8, seq);
    putU32(b, p + 12, name ? METHOD_NAME_BIT + nameLen : (method as number));
    putU32(b, p + 16, bodyLen);
    putU32(b, p + 20, blobLen);
    p += HEADER_SIZE;
    if (name) {
      name.copy(b, p);
      p += nameLen;
    }
    if (ext) {
      b.set(ext, p);
      p += extLen;
    }
    if (body) {
      b.set(body, p);
      p += bodyLen;
    }
    if (blob) {
      b.set(blob, p);
      p += blobLen;
    }
    this.pos = p;
  }

  /**
   * Appends a frame whose body is `value`: a Uint8Array travels as the raw
   * blob (FLAG_RAW, no codec), undefined as an empty body, anything else is
   * encoded by `codec` straight into the write buffer when it supports
   * `encodeInto`. On any failure (codec error, frame over `maxFrameSize`) the
   * buffer is rolled back and the error thrown, so no partial frame is sent.
   */
  valueFrame(
    type: number,
    flags: number,
    codec: WireCodec,
    seq: number,
    method: number | string,
    value: unknown,
    maxFrameSize: number,
    ext?: Uint8Array,
  ): void {
    if (this.closed) return;
    if (value instanceof Uint8Array) {
      const size = this.frameSize(
        typeof method === 'string' ? method : undefined,
        ext ? ext.length : 0,
        0,
        value.length,
      );
      if (size > maxFrameSize) throw tooLarge(size, maxFrameSize);
      this.frame(type, flags | FLAG_RAW, codec.id, seq, method, undefined, value, ext);
      return;
    }
    if (value === undefined) {
      this.frame(type, flags, codec.id, seq, method, undefined, undefined, ext);
      return;
    }
    if (!codec.encodeInto) {
      const body = codec.encode(value);
      const size = this.frameSize(
        typeof method === 'string' ? method : undefined,
        ext ? ext.length : 0,
        body.length,
        0,
      );
      if (size > maxFrameSize) throw tooLarge(size, maxFrameSize);
      this.frame(type, flags, codec.id, seq, method, body, undefined, ext);
      return;
    }
    // Encode in place: header first (body length patched after), then the body.
    const start = this.pos;
    this.put(type, flags, codec.id, seq, method, undefined, undefined, ext);
    const bodyAt = this.pos;
    let room = this.buf.length - bodyAt;
    if (room < 64) {
      this.ensure(256);
      room = this.buf.length - bodyAt;
    }
    let n: number;
    try {
      n = codec.encodeInto(value, this.buf, bodyAt);
      if (n < 0) {
        this.ensure(-n);
        n = codec.encodeInto(value, this.buf, bodyAt);
        if (n < 0)
          throw new SwitchyardError(
            'INTERNAL',
            `codec ${codec.name} did not fit its own size hint`,
          );
      }
    } catch (error) {
      this.pos = start;
      throw error;
    }
    const size = bodyAt - start + n;
    if (size > maxFrameSize) {
      this.pos = start;
      throw tooLarge(size, maxFrameSize);
    }
    putU32(this.buf, start + 16, n);
    this.pos = bodyAt + n;
    this.committed();
  }

  /** Writes everything queued now (unless the transport asked us to wait). */
  flush(): void {
    if (this.blocked || this.pos === 0 || this.closed) return;
    let out: Buffer;
    if (this.pos <= SLAB_MAX_COPY) {
      out = slabCopy(this.buf, 0, this.pos);
    } else {
      // Large batch: hand the buffer over instead of copying it.
      out = this.buf.subarray(0, this.pos);
      this.buf = Buffer.allocUnsafe(INITIAL_CAPACITY);
    }
    this.pos = 0;
    if (!this.sink(out)) this.blocked = true;
  }

  /** The transport drained: write what piled up meanwhile. */
  drain(): void {
    this.blocked = false;
    this.flush();
  }

  close(): void {
    this.closed = true;
    this.pos = 0;
  }
}

/** Little-endian u32 store (the value is taken modulo 2³², like `>>> 0`). */
function putU32(b: Buffer, p: number, v: number): void {
  b[p] = v;
  b[p + 1] = v >>> 8;
  b[p + 2] = v >>> 16;
  b[p + 3] = v >>> 24;
}

function tooLarge(size: number, max: number): SwitchyardError {
  return new SwitchyardError(
    'PAYLOAD_TOO_LARGE',
    `frame of ${size} bytes exceeds the peer's max frame size ${max}`,
  );
}
