/**
 * A small, bounded MessagePack subset (nil, bool, unsigned/negative integers,
 * str, bin, array). Gossip packets are tiny arrays of scalars, so a purpose-built
 * reader lets every length be checked against the bytes actually present before
 * anything is allocated, and the output stays readable by any msgpack decoder
 * (msgpackr included).
 */

export type WireValue = null | boolean | number | string | Uint8Array | WireValue[];

/** Thrown by the reader on malformed input; callers turn it into a drop counter. */
export class WireError extends Error {
  override name = 'WireError';
}

const textEncoder = new TextEncoder();

// Member names and addresses repeat in almost every packet: cache their UTF-8
// bytes (bounded; cleared wholesale when full).
const strCache = new Map<string, Uint8Array>();
const STR_CACHE_MAX = 8_192;
function utf8(s: string): Uint8Array {
  if (s.length > 64) return textEncoder.encode(s);
  let b = strCache.get(s);
  if (b === undefined) {
    if (strCache.size >= STR_CACHE_MAX) strCache.clear();
    b = textEncoder.encode(s);
    strCache.set(s, b);
  }
  return b;
}
const textDecoder = new TextDecoder('utf-8', { fatal: true });

/** Growable output buffer; reused by the core so encoding allocates little. */
export class WireWriter {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  reset(): void {
    this.length = 0;
  }

  /** A copy of what was written so far. */
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private ensure(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  raw(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  private u8(x: number): void {
    this.ensure(1);
    this.buf[this.length++] = x;
  }

  nil(): void {
    this.u8(0xc0);
  }

  bool(b: boolean): void {
    this.u8(b ? 0xc3 : 0xc2);
  }

  int(n: number): void {
    if (!Number.isSafeInteger(n)) throw new WireError(`not a safe integer: ${n}`);
    this.ensure(9);
    if (n >= 0) {
      if (n < 128) this.buf[this.length++] = n;
      else if (n < 0x100) {
        this.buf[this.length++] = 0xcc;
        this.buf[this.length++] = n;
      } else if (n < 0x10000) {
        this.buf[this.length++] = 0xcd;
        this.view.setUint16(this.length, n);
        this.length += 2;
      } else if (n < 0x100000000) {
        this.buf[this.length++] = 0xce;
        this.view.setUint32(this.length, n);
        this.length += 4;
      } else {
        this.buf[this.length++] = 0xcf;
        this.view.setBigUint64(this.length, BigInt(n));
        this.length += 8;
      }
    } else if (n >= -32) {
      this.buf[this.length++] = n & 0xff;
    } else if (n >= -0x80000000) {
      this.buf[this.length++] = 0xd2;
      this.view.setInt32(this.length, n);
      this.length += 4;
    } else {
      this.buf[this.length++] = 0xd3;
      this.view.setBigInt64(this.length, BigInt(n));
      this.length += 8;
    }
  }

  str(s: string): void {
    const b = utf8(s);
    this.ensure(5 + b.length);
    if (b.length < 32) this.buf[this.length++] = 0xa0 | b.length;
    else if (b.length < 0x100) {
      this.buf[this.length++] = 0xd9;
      this.buf[this.length++] = b.length;
    } else if (b.length < 0x10000) {
      this.buf[this.length++] = 0xda;
      this.view.setUint16(this.length, b.length);
      this.length += 2;
    } else {
      this.buf[this.length++] = 0xdb;
      this.view.setUint32(this.length, b.length);
      this.length += 4;
    }
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  bin(b: Uint8Array): void {
    this.ensure(5 + b.length);
    if (b.length < 0x100) {
      this.buf[this.length++] = 0xc4;
      this.buf[this.length++] = b.length;
    } else if (b.length < 0x10000) {
      this.buf[this.length++] = 0xc5;
      this.view.setUint16(this.length, b.length);
      this.length += 2;
    } else {
      this.buf[this.length++] = 0xc6;
      this.view.setUint32(this.length, b.length);
      this.length += 4;
    }
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  arrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.length++] = 0x90 | n;
    else if (n < 0x10000) {
      this.buf[this.length++] = 0xdc;
      this.view.setUint16(this.length, n);
      this.length += 2;
    } else {
      this.buf[this.length++] = 0xdd;
      this.view.setUint32(this.length, n);
      this.length += 4;
    }
  }

  value(v: WireValue): void {
    if (v === null) this.nil();
    else if (typeof v === 'boolean') this.bool(v);
    else if (typeof v === 'number') this.int(v);
    else if (typeof v === 'string') this.str(v);
    else if (v instanceof Uint8Array) this.bin(v);
    else {
      this.arrayHeader(v.length);
      for (const x of v) this.value(x);
    }
  }
}

/** Encodes one value into fresh bytes. */
export function encodeWire(v: WireValue): Uint8Array {
  const w = new WireWriter(64);
  w.value(v);
  return w.bytes();
}

/** Size in bytes of an array header for n elements. */
export function arrayHeaderSize(n: number): number {
  return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
}

export interface ReadLimits {
  /** Deepest array nesting accepted. */
  maxDepth: number;
  /** Most elements in any one array. */
  maxArray: number;
}

const DEFAULT_LIMITS: ReadLimits = { maxDepth: 4, maxArray: 65_536 };

/**
 * Decodes one value occupying all of `bytes`. Every declared length is checked
 * against the remaining input first, so a hostile length prefix costs nothing.
 */
export function decodeWire(bytes: Uint8Array, limits: ReadLimits = DEFAULT_LIMITS): WireValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  const need = (n: number): void => {
    if (pos + n > bytes.length) throw new WireError('truncated');
  };
  const read = (depth: number): WireValue => {
    need(1);
    const t = bytes[pos++] as number;
    if (t < 0x80) return t;
    if (t >= 0xe0) return t - 0x100;
    if ((t & 0xf0) === 0x90) return readArray(t & 0x0f, depth);
    if ((t & 0xe0) === 0xa0) return readStr(t & 0x1f);
    switch (t) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xcc:
        need(1);
        return bytes[pos++] as number;
      case 0xcd:
        need(2);
        pos += 2;
        return view.getUint16(pos - 2);
      case 0xce:
        need(4);
        pos += 4;
        return view.getUint32(pos - 4);
      case 0xcf: {
        need(8);
        pos += 8;
        const n = Number(view.getBigUint64(pos - 8));
        if (!Number.isSafeInteger(n)) throw new WireError('integer out of range');
        return n;
      }
      case 0xd0:
        need(1);
        pos += 1;
        return view.getInt8(pos - 1);
      case 0xd1:
        need(2);
        pos += 2;
        return view.getInt16(pos - 2);
      case 0xd2:
        need(4);
        pos += 4;
        return view.getInt32(pos - 4);
      case 0xd3: {
        need(8);
        pos += 8;
        const n = Number(view.getBigInt64(pos - 8));
        if (!Number.isSafeInteger(n)) throw new WireError('integer out of range');
        return n;
      }
      case 0xd9:
        need(1);
        return readStr(bytes[pos++] as number);
      case 0xda:
        need(2);
        pos += 2;
        return readStr(view.getUint16(pos - 2));
      case 0xdb:
        need(4);
        pos += 4;
        return readStr(view.getUint32(pos - 4));
      case 0xc4:
        need(1);
        return readBin(bytes[pos++] as number);
      case 0xc5:
        need(2);
        pos += 2;
        return readBin(view.getUint16(pos - 2));
      case 0xc6:
        need(4);
        pos += 4;
        return readBin(view.getUint32(pos - 4));
      case 0xdc:
        need(2);
        pos += 2;
        return readArray(view.getUint16(pos - 2), depth);
      case 0xdd:
        need(4);
        pos += 4;
        return readArray(view.getUint32(pos - 4), depth);
      default:
        throw new WireError(`unsupported type byte 0x${t.toString(16)}`);
    }
  };
  const readStr = (n: number): string => {
    need(n);
    pos += n;
    try {
      return textDecoder.decode(bytes.subarray(pos - n, pos));
    } catch {
      throw new WireError('invalid utf-8');
    }
  };
  const readBin = (n: number): Uint8Array => {
    need(n);
    pos += n;
    return bytes.slice(pos - n, pos);
  };
  const readArray = (n: number, depth: number): WireValue[] => {
    if (depth >= limits.maxDepth) throw new WireError('nested too deep');
    if (n > limits.maxArray) throw new WireError('array too long');
    // Every element takes at least one byte: reject impossible counts up front.
    if (n > bytes.length - pos) throw new WireError('truncated');
    const out: WireValue[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = read(depth + 1);
    return out;
  };
  const v = read(0);
  if (pos !== bytes.length) throw new WireError('trailing bytes');
  return v;
}
