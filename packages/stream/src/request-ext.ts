import { SwitchyardError } from './error.js';

/**
 * The REQUEST extension block (PROTOCOL.md §6.2): the remaining deadline and
 * string metadata, kept out of the codec so any codec can carry them:
 *
 *   timeoutMs u32 (0 = none) | count u8 | count × (keyLen u8, key, valueLen u16, value)
 */
export interface RequestExt {
  /** Remaining time in ms when the request left, 0 for none. */
  timeoutMs: number;
  metadata: Record<string, string>;
}

export const MAX_METADATA_ENTRIES = 64;
export const MAX_EXT_LENGTH = 0xffff;
const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

/** Encodes deadline and metadata; undefined when there is nothing to carry. */
export function encodeRequestExt(
  timeoutMs: number,
  metadata: Readonly<Record<string, string>> | undefined,
): Uint8Array | undefined {
  const t =
    Number.isFinite(timeoutMs) && timeoutMs > 0 ? Math.min(Math.ceil(timeoutMs), 0xffffffff) : 0;
  const keys = metadata ? Object.keys(metadata) : [];
  if (t === 0 && keys.length === 0) return undefined;
  if (keys.length > MAX_METADATA_ENTRIES) {
    throw new SwitchyardError(
      'INVALID_ARGUMENT',
      `at most ${MAX_METADATA_ENTRIES} metadata entries`,
    );
  }
  const parts: [Buffer, Buffer][] = [];
  let size = 5;
  for (const k of keys) {
    const v = metadata![k];
    if (typeof v !== 'string') {
      throw new SwitchyardError('INVALID_ARGUMENT', `metadata value for "${k}" must be a string`);
    }
    const kb = Buffer.from(k, 'utf8');
    const vb = Buffer.from(v, 'utf8');
    if (kb.length === 0 || kb.length > 255) {
      throw new SwitchyardError('INVALID_ARGUMENT', `metadata key "${k}" must be 1–255 bytes`);
    }
    if (vb.length > 0xffff) {
      throw new SwitchyardError(
        'INVALID_ARGUMENT',
        `metadata value for "${k}" exceeds 65535 bytes`,
      );
    }
    size += 3 + kb.length + vb.length;
    parts.push([kb, vb]);
  }
  if (size > MAX_EXT_LENGTH) {
    throw new SwitchyardError('INVALID_ARGUMENT', 'metadata exceeds 65535 bytes in total');
  }
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(t, 0);
  out[4] = parts.length;
  let p = 5;
  for (const [kb, vb] of parts) {
    out[p++] = kb.length;
    kb.copy(out, p);
    p += kb.length;
    out.writeUInt16LE(vb.length, p);
    p += 2;
    vb.copy(out, p);
    p += vb.length;
  }
  return out;
}

/** Decodes an extension block; throws PROTOCOL_ERROR when it is malformed. */
export function decodeRequestExt(buf: Buffer, start: number, length: number): RequestExt {
  if (length === 0) return { timeoutMs: 0, metadata: EMPTY as Record<string, string> };
  const end = start + length;
  if (length < 5) throw new SwitchyardError('PROTOCOL_ERROR', 'request extension block too short');
  const timeoutMs = buf.readUInt32LE(start);
  const count = buf[start + 4]!;
  let p = start + 5;
  if (count === 0) {
    if (length !== 5)
      throw new SwitchyardError('PROTOCOL_ERROR', 'trailing bytes in request extension block');
    return { timeoutMs, metadata: EMPTY as Record<string, string> };
  }
  const metadata: Record<string, string> = Object.create(null);
  for (let i = 0; i < count; i++) {
    if (p + 1 > end) throw new SwitchyardError('PROTOCOL_ERROR', 'truncated metadata key');
    const kl = buf[p++]!;
    if (kl === 0 || p + kl + 2 > end)
      throw new SwitchyardError('PROTOCOL_ERROR', 'bad metadata key');
    const key = buf.toString('utf8', p, p + kl);
    p += kl;
    const vl = buf.readUInt16LE(p);
    p += 2;
    if (p + vl > end) throw new SwitchyardError('PROTOCOL_ERROR', 'truncated metadata value');
    metadata[key] = buf.toString('utf8', p, p + vl);
    p += vl;
  }
  if (p !== end)
    throw new SwitchyardError('PROTOCOL_ERROR', 'trailing bytes in request extension block');
  return { timeoutMs, metadata };
}
