import {
  type Codec,
  checkCodecIdentity,
  checkDecodeInput,
  checkMaxSize,
  checkTarget,
} from './codec.js';
import { CodecError } from './codec-error.js';

/** Numeric field types; all multi-byte fields are little-endian. */
export type NumericFieldType =
  | 'u8'
  | 'i8'
  | 'u16'
  | 'i16'
  | 'u32'
  | 'i32'
  | 'f32'
  | 'f64'
  | 'u64'
  | 'i64';

/**
 * One field of a fixed layout. `{ string: n }` is UTF-8 in exactly n bytes,
 * zero-padded (so it cannot contain U+0000); `{ bytes: n }` is exactly n bytes.
 */
export type FieldType = NumericFieldType | 'bool' | { string: number } | { bytes: number };

export type LayoutFields = Record<string, FieldType>;

/** The JS type a field holds: u64/i64 are BigInt, the other numbers are numbers. */
export type FieldValue<F extends FieldType> = F extends 'u64' | 'i64'
  ? bigint
  : F extends NumericFieldType
    ? number
    : F extends 'bool'
      ? boolean
      : F extends { string: number }
        ? string
        : Uint8Array;

/** The record type described by a layout. */
export type LayoutRecord<L extends LayoutFields> = { -readonly [K in keyof L]: FieldValue<L[K]> };

export interface FixedLayoutOptions<L extends LayoutFields> {
  id: number;
  name: string;
  /** Fields in wire order; each sits at a fixed offset right after the previous one. */
  fields: L;
  /**
   * Generate a specialised decoder with `new Function` (default true): each
   * record is built as one object literal, so every decoded record has the
   * same hidden class from the start (about 2× the generic loop in the bench's
   * `fixed-layout-loop` row). Falls back to the loop by itself where code
   * generation is forbidden (e.g. a strict Content-Security-Policy); false
   * forces the loop.
   */
  codegen?: boolean;
}

export interface FixedLayoutCodec<T> extends Codec<T> {
  /** Encoded size of every record, in bytes. */
  readonly size: number;
  /** Byte offset of each field, in declaration order. */
  readonly offsets: Readonly<Record<keyof T & string, number>>;
}

// Small integers so the per-field switch compiles to a jump table.
const K_U8 = 0;
const K_I8 = 1;
const K_U16 = 2;
const K_I16 = 3;
const K_U32 = 4;
const K_I32 = 5;
const K_F32 = 6;
const K_F64 = 7;
const K_U64 = 8;
const K_I64 = 9;
const K_BOOL = 10;
const K_STRING = 11;
const K_BYTES = 12;

const NUMERIC: Record<NumericFieldType, [kind: number, size: number, min: number, max: number]> = {
  u8: [K_U8, 1, 0, 0xff],
  i8: [K_I8, 1, -0x80, 0x7f],
  u16: [K_U16, 2, 0, 0xffff],
  i16: [K_I16, 2, -0x8000, 0x7fff],
  u32: [K_U32, 4, 0, 0xffffffff],
  i32: [K_I32, 4, -0x80000000, 0x7fffffff],
  f32: [K_F32, 4, 0, 0],
  f64: [K_F64, 8, 0, 0],
  u64: [K_U64, 8, 0, 0],
  i64: [K_I64, 8, 0, 0],
};

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
/** Upper bound on one string/bytes field, to keep a layout's size sane. */
const MAX_FIELD_BYTES = 65536;

interface CompiledField {
  key: string;
  kind: number;
  offset: number;
  /** Byte length for string/bytes; value range for integers. */
  length: number;
  min: number;
  max: number;
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function compile(fields: LayoutFields, name: string): { list: CompiledField[]; size: number } {
  if (typeof fields !== 'object' || fields === null) {
    throw new CodecError('INVALID_CODEC', 'fields must be an object', { codec: name });
  }
  const list: CompiledField[] = [];
  let offset = 0;
  for (const [key, type] of Object.entries(fields)) {
    if (key === '__proto__') {
      // Assigning it would replace the decoded record's prototype.
      throw new CodecError('INVALID_CODEC', "'__proto__' cannot be a field name", { codec: name });
    }
    if (typeof type === 'string' && Object.hasOwn(NUMERIC, type)) {
      const [kind, size, min, max] = NUMERIC[type as NumericFieldType];
      list.push({ key, kind, offset, length: size, min, max });
      offset += size;
    } else if (type === 'bool') {
      list.push({ key, kind: K_BOOL, offset, length: 1, min: 0, max: 1 });
      offset += 1;
    } else if (typeof type === 'object' && type !== null) {
      const isString = 'string' in type;
      const length = isString ? type.string : (type as { bytes: number }).bytes;
      if (!Number.isInteger(length) || length <= 0 || length > MAX_FIELD_BYTES) {
        throw new CodecError(
          'INVALID_CODEC',
          `field '${key}': length must be an integer 1–${MAX_FIELD_BYTES}`,
          { codec: name },
        );
      }
      list.push({ key, kind: isString ? K_STRING : K_BYTES, offset, length, min: 0, max: 0 });
      offset += length;
    } else {
      throw new CodecError('INVALID_CODEC', `field '${key}': unknown type ${String(type)}`, {
        codec: name,
      });
    }
  }
  if (list.length === 0) {
    throw new CodecError('INVALID_CODEC', 'a layout needs at least one field', { codec: name });
  }
  return { list, size: offset };
}

/** Writes a string field; returns false when it does not fit or holds U+0000. */
function writeString(bytes: Uint8Array, at: number, field: CompiledField, s: string): boolean {
  const n = s.length;
  const limit = field.length;
  // ASCII fast path: short hot strings (symbols, codes) avoid TextEncoder.
  let i = 0;
  if (n <= limit) {
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80 || c === 0) break;
      bytes[at + i] = c;
    }
  }
  if (i === n) {
    for (let j = n; j < limit; j++) bytes[at + j] = 0;
    return true;
  }
  if (s.includes('\u0000')) return false;
  const slot = bytes.subarray(at, at + limit);
  const { read, written } = utf8Encoder.encodeInto(s, slot);
  if (read < n) return false;
  slot.fill(0, written);
  return true;
}

function readString(bytes: Uint8Array, at: number, limit: number): string | undefined {
  let end = at;
  const stop = at + limit;
  let ascii = true;
  while (end < stop) {
    const b = bytes[end]!;
    if (b === 0) break;
    if (b >= 0x80) ascii = false;
    end++;
  }
  // Padding must be all zeros, or two encoders could disagree on one value.
  for (let j = end; j < stop; j++) if (bytes[j] !== 0) return undefined;
  if (ascii) {
    let s = '';
    for (let j = at; j < end; j++) s += String.fromCharCode(bytes[j]!);
    return s;
  }
  try {
    return utf8Decoder.decode(bytes.subarray(at, end));
  } catch {
    return undefined;
  }
}

/** `view` spans the whole ArrayBuffer; `o` is where the record starts in it. */
type Reader = (view: DataView, bytes: Uint8Array, o: number) => Record<string, unknown>;

/**
 * Generates a decoder whose record is a single object literal, so V8 gives
 * every decoded record the same hidden class up front. Keys and numbers only
 * enter the source through JSON.stringify and integer offsets, never raw.
 */
function compileReader(list: CompiledField[], name: string): Reader | undefined {
  const fail = (i: number, why: string): never => {
    throw new CodecError('MALFORMED', `field '${list[i]!.key}': ${why}`, { codec: name });
  };
  const bool = (b: number, i: number): boolean =>
    b === 1 ? true : b === 0 ? false : fail(i, `bool byte ${b} is not 0 or 1`);
  const str = (bytes: Uint8Array, at: number, length: number, i: number): string =>
    readString(bytes, at, length) ?? fail(i, 'invalid UTF-8 or non-zero padding');
  const parts = list.map((f, i) => {
    const at = f.offset;
    let expr: string;
    switch (f.kind) {
      case K_U8:
        expr = `view.getUint8(o + ${at})`;
        break;
      case K_I8:
        expr = `view.getInt8(o + ${at})`;
        break;
      case K_U16:
        expr = `view.getUint16(o + ${at}, true)`;
        break;
      case K_I16:
        expr = `view.getInt16(o + ${at}, true)`;
        break;
      case K_U32:
        expr = `view.getUint32(o + ${at}, true)`;
        break;
      case K_I32:
        expr = `view.getInt32(o + ${at}, true)`;
        break;
      case K_F32:
        expr = `view.getFloat32(o + ${at}, true)`;
        break;
      case K_F64:
        expr = `view.getFloat64(o + ${at}, true)`;
        break;
      case K_U64:
        expr = `view.getBigUint64(o + ${at}, true)`;
        break;
      case K_I64:
        expr = `view.getBigInt64(o + ${at}, true)`;
        break;
      case K_BOOL:
        expr = `bool(view.getUint8(o + ${at}), ${i})`;
        break;
      case K_STRING:
        expr = `str(bytes, ${at}, ${f.length}, ${i})`;
        break;
      default:
        expr = `bytes.slice(${at}, ${at + f.length})`;
    }
    return `${JSON.stringify(f.key)}: ${expr}`;
  });
  const source = `return function read(view, bytes, o) { return { ${parts.join(', ')} }; };`;
  try {
    return new Function('bool', 'str', source)(bool, str) as Reader;
  } catch {
    return undefined;
  }
}

/**
 * A codec for flat records of a fixed shape: every field at a fixed offset,
 * read and written through a DataView, no tags and no lengths on the wire.
 * The fastest path for hot, regular messages; both peers must declare the
 * same layout (same fields, same order).
 *
 * @example
 * const tick = fixedLayout({ id: 16, name: 'tick',
 *   fields: { seq: 'u32', price: 'f64', ok: 'bool', sym: { string: 8 } } });
 * tick.decode(tick.encode({ seq: 1, price: 9.5, ok: true, sym: 'ACME' }));
 */
export function fixedLayout<const L extends LayoutFields>(
  options: FixedLayoutOptions<L>,
): FixedLayoutCodec<LayoutRecord<L>> {
  const { id, name } = options;
  const codegen = options.codegen ?? true;
  checkCodecIdentity(id, name);
  const { list, size } = compile(options.fields, name);
  const maxSize = checkMaxSize(size);
  const offsets: Record<string, number> = {};
  for (const f of list) offsets[f.key] = f.offset;

  // One DataView per underlying ArrayBuffer, reused while callers keep writing
  // into (or reading from) the same buffer, so the hot path allocates nothing.
  // It keeps the last buffer reachable until another one comes along.
  let cachedBuffer: ArrayBufferLike | undefined;
  let cachedView: DataView | undefined;
  const viewOf = (bytes: Uint8Array): DataView => {
    if (bytes.buffer !== cachedBuffer || cachedView === undefined) {
      cachedBuffer = bytes.buffer;
      cachedView = new DataView(bytes.buffer);
    }
    return cachedView;
  };

  const invalid = (field: CompiledField, why: string): CodecError =>
    new CodecError('INVALID_VALUE', `field '${field.key}': ${why}`, { codec: name });

  const write = (value: unknown, bytes: Uint8Array, base: number): void => {
    if (typeof value !== 'object' || value === null) {
      throw new CodecError('UNSUPPORTED_TYPE', 'a fixed layout encodes only objects', {
        codec: name,
      });
    }
    const record = value as Record<string, unknown>;
    const view = viewOf(bytes);
    const o = bytes.byteOffset + base;
    for (let i = 0; i < list.length; i++) {
      const f = list[i]!;
      const v = record[f.key];
      const at = f.offset;
      switch (f.kind) {
        case K_U8:
        case K_I8:
        case K_U16:
        case K_I16:
        case K_U32:
        case K_I32:
          if (typeof v !== 'number' || !Number.isInteger(v) || v < f.min || v > f.max) {
            throw invalid(f, `expected an integer ${f.min}–${f.max}, got ${String(v)}`);
          }
          if (f.kind === K_U8) view.setUint8(o + at, v);
          else if (f.kind === K_I8) view.setInt8(o + at, v);
          else if (f.kind === K_U16) view.setUint16(o + at, v, true);
          else if (f.kind === K_I16) view.setInt16(o + at, v, true);
          else if (f.kind === K_U32) view.setUint32(o + at, v, true);
          else view.setInt32(o + at, v, true);
          break;
        case K_F32:
        case K_F64:
          if (typeof v !== 'number') throw invalid(f, `expected a number, got ${typeof v}`);
          if (f.kind === K_F32) view.setFloat32(o + at, v, true);
          else view.setFloat64(o + at, v, true);
          break;
        case K_U64:
          if (typeof v !== 'bigint' || v < 0n || v > U64_MAX) {
            throw invalid(f, 'expected a bigint 0–2^64-1');
          }
          view.setBigUint64(o + at, v, true);
          break;
        case K_I64:
          if (typeof v !== 'bigint' || v < I64_MIN || v > I64_MAX) {
            throw invalid(f, 'expected a bigint -2^63–2^63-1');
          }
          view.setBigInt64(o + at, v, true);
          break;
        case K_BOOL:
          if (typeof v !== 'boolean') throw invalid(f, `expected a boolean, got ${typeof v}`);
          view.setUint8(o + at, v ? 1 : 0);
          break;
        case K_STRING:
          if (typeof v !== 'string') throw invalid(f, `expected a string, got ${typeof v}`);
          if (!writeString(bytes, base + at, f, v)) {
            throw invalid(f, `string must fit in ${f.length} UTF-8 bytes and not contain U+0000`);
          }
          break;
        default:
          if (!(v instanceof Uint8Array) || v.length !== f.length) {
            throw invalid(f, `expected a Uint8Array of exactly ${f.length} bytes`);
          }
          bytes.set(v, base + at);
      }
    }
  };

  const readInterpreted: Reader = (view, bytes, o) => {
    const record: Record<string, unknown> = {};
    for (let i = 0; i < list.length; i++) {
      const f = list[i]!;
      const at = f.offset;
      let v: unknown;
      switch (f.kind) {
        case K_U8:
          v = view.getUint8(o + at);
          break;
        case K_I8:
          v = view.getInt8(o + at);
          break;
        case K_U16:
          v = view.getUint16(o + at, true);
          break;
        case K_I16:
          v = view.getInt16(o + at, true);
          break;
        case K_U32:
          v = view.getUint32(o + at, true);
          break;
        case K_I32:
          v = view.getInt32(o + at, true);
          break;
        case K_F32:
          v = view.getFloat32(o + at, true);
          break;
        case K_F64:
          v = view.getFloat64(o + at, true);
          break;
        case K_U64:
          v = view.getBigUint64(o + at, true);
          break;
        case K_I64:
          v = view.getBigInt64(o + at, true);
          break;
        case K_BOOL: {
          const b = view.getUint8(o + at);
          if (b > 1) {
            throw new CodecError('MALFORMED', `field '${f.key}': bool byte ${b} is not 0 or 1`, {
              codec: name,
            });
          }
          v = b === 1;
          break;
        }
        case K_STRING:
          v = readString(bytes, at, f.length);
          if (v === undefined) {
            throw new CodecError(
              'MALFORMED',
              `field '${f.key}': invalid UTF-8 or non-zero padding`,
              { codec: name },
            );
          }
          break;
        default:
          // A copy: the caller's buffer is typically a reused read buffer.
          v = bytes.slice(at, at + f.length);
      }
      record[f.key] = v;
    }
    return record;
  };
  const read = (codegen ? compileReader(list, name) : undefined) ?? readInterpreted;

  return {
    id,
    name,
    maxSize,
    size,
    offsets: offsets as FixedLayoutCodec<LayoutRecord<L>>['offsets'],
    encode(value) {
      const out = new Uint8Array(size);
      write(value, out, 0);
      return out;
    },
    encodeInto(value, target, offset) {
      checkTarget(target, offset, name);
      if (target.length - offset < size) return -size;
      write(value, target, offset);
      return size;
    },
    decode(bytes) {
      checkDecodeInput(bytes, Number.MAX_SAFE_INTEGER, name);
      if (bytes.length < size) {
        throw new CodecError('TRUNCATED', `expected ${size} bytes, got ${bytes.length}`, {
          codec: name,
        });
      }
      if (bytes.length > size) {
        throw new CodecError('MALFORMED', `expected ${size} bytes, got ${bytes.length}`, {
          codec: name,
        });
      }
      return read(viewOf(bytes), bytes, bytes.byteOffset) as LayoutRecord<L>;
    },
  };
}
