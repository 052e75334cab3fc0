import { msgpackrCodec } from '@switchyard/codec';
import { SwitchyardError } from '@switchyard/core';

/** The body formats this gateway reads and writes. */
export type BodyFormat = 'json' | 'msgpack';

export const JSON_TYPE = 'application/json';
export const MSGPACK_TYPE = 'application/msgpack';
export const EVENT_STREAM_TYPE = 'text/event-stream';

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

/** q-values an Accept header gives the types this gateway can produce; -1 = not named. */
interface Preferences {
  json: number;
  msgpack: number;
  eventStream: number;
  /** the any-type wildcard */
  any: number;
  /** `application/*` */
  application: number;
  /** `text/*` */
  text: number;
}

/** Reads at most 32 media ranges (bounded work for a hostile header). */
function preferences(accept: string): Preferences {
  const prefs: Preferences = {
    json: -1,
    msgpack: -1,
    eventStream: -1,
    any: -1,
    application: -1,
    text: -1,
  };
  for (const part of accept.split(',', 32)) {
    const [rawType = '', ...params] = part.split(';');
    const type = rawType.trim().toLowerCase();
    let q = 1;
    for (const p of params) {
      const [k, v] = p.split('=');
      if (k?.trim().toLowerCase() === 'q' && v !== undefined) {
        const parsed = Number(v.trim());
        if (Number.isFinite(parsed)) q = parsed;
      }
    }
    if (MSGPACK_TYPES.has(type)) prefs.msgpack = Math.max(prefs.msgpack, q);
    else if (type === JSON_TYPE || type.endsWith('+json')) prefs.json = Math.max(prefs.json, q);
    else if (type === EVENT_STREAM_TYPE) prefs.eventStream = Math.max(prefs.eventStream, q);
    else if (type === '*/*') prefs.any = Math.max(prefs.any, q);
    else if (type === 'application/*') prefs.application = Math.max(prefs.application, q);
    else if (type === 'text/*') prefs.text = Math.max(prefs.text, q);
  }
  return prefs;
}

/** The q-value of a type: its own entry if named, else its most specific wildcard. */
function quality(named: number, subtypeWildcard: number, any: number): number {
  if (named !== -1) return named;
  return subtypeWildcard !== -1 ? subtypeWildcard : any;
}

/**
 * Response format by Accept: JSON unless msgpack has a higher q-value, and
 * undefined (406 Not Acceptable) when the header admits neither: q=0 means
 * "not this one" (RFC 9110 §12.5.1). The headers sent by wrk, curl, fetch()
 * and most clients (none, the any-type wildcard, `application/json`) skip the parser.
 */
export function responseFormat(accept: string): BodyFormat | undefined {
  if (accept.length === 0 || accept === '*/*' || accept === JSON_TYPE) return 'json';
  const prefs = preferences(accept);
  const json = quality(prefs.json, prefs.application, prefs.any);
  const msgpack = quality(prefs.msgpack, prefs.application, prefs.any);
  // Only a msgpack type named outright is preferred over JSON; a wildcard picks JSON.
  if (prefs.msgpack > 0 && prefs.msgpack > json) return 'msgpack';
  if (json > 0) return 'json';
  return msgpack > 0 ? 'msgpack' : undefined;
}

/** Whether Accept admits `text/event-stream` (the answer of a streaming route). */
export function acceptsEventStream(accept: string): boolean {
  if (accept.length === 0 || accept === '*/*' || accept === EVENT_STREAM_TYPE) return true;
  const prefs = preferences(accept);
  return quality(prefs.eventStream, prefs.text, prefs.any) > 0;
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
