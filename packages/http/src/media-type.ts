import { msgpackrCodec } from '@switchyard/codec';
import { SwitchyardError } from '@switchyard/core';

/** The body formats this gateway reads and writes. */
export type BodyFormat = 'json' | 'msgpack';

export const JSON_TYPE = 'application/json';
export const MSGPACK_TYPE = 'application/msgpack';

const MSGPACK_TYPES: ReadonlySet<string> = new Set([
  'application/msgpack',
  'application/x-msgpack',
  'application/vnd.msgpack',
]);

/** Format of a request body by its Content-Type, or undefined when unsupported. */
export function requestFormat(contentType: string): BodyFormat | undefined {
  const semi = contentType.indexOf(';');
  const type = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type === JSON_TYPE || type.endsWith('+json')) return 'json';
  if (MSGPACK_TYPES.has(type)) return 'msgpack';
  return undefined;
}

/**
 * Response format by Accept. JSON unless the client names a msgpack type with
 * a q-value above JSON's (or JSON is not acceptable at all). Browsers' Accept
 * never mentions msgpack, so the common case is a single substring check.
 */
export function responseFormat(accept: string): BodyFormat {
  if (accept.length === 0 || accept.indexOf('msgpack') === -1) return 'json';
  let jsonQ = -1;
  let msgpackQ = -1;
  let wildQ = -1;
  for (const part of accept.split(',', 32)) {
    const [rawType = '', ...params] = part.split(';');
    const type = rawType.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim() === 'q' && v !== undefined) {
        const parsed = Number(v.trim());
        if (Number.isFinite(parsed)) q = parsed;
      }
    }
    if (MSGPACK_TYPES.has(type)) msgpackQ = Math.max(msgpackQ, q);
    else if (type === JSON_TYPE || type.endsWith('+json')) jsonQ = Math.max(jsonQ, q);
    else if (type === '*/*' || type === 'application/*') wildQ = Math.max(wildQ, q);
  }
  const json = jsonQ === -1 ? wildQ : jsonQ;
  return msgpackQ > 0 && msgpackQ > json ? 'msgpack' : 'json';
}

// Plain MessagePack (no record extension) so any msgpack client can read it.
const msgpack = msgpackrCodec({ records: false });

/** Decodes a request body; malformed input is the client's fault (400). */
export function decodeBody(bytes: Buffer, format: BodyFormat): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new SwitchyardError('INVALID_ARGUMENT', 'malformed JSON body');
    }
  }
  try {
    return msgpack.decode(bytes);
  } catch {
    throw new SwitchyardError('INVALID_ARGUMENT', 'malformed msgpack body');
  }
}

/** Encodes a response value; `undefined` never reaches here (it becomes 204). */
export function encodeBody(value: unknown, format: BodyFormat): string | Uint8Array {
  if (format === 'json') {
    const text = JSON.stringify(value);
    // JSON.stringify returns undefined for functions and symbols.
    if (text === undefined) return 'null';
    return text;
  }
  return msgpack.encode(value);
}

export function contentTypeOf(format: BodyFormat): string {
  return format === 'json' ? JSON_TYPE : MSGPACK_TYPE;
}
