import { SwitchyardError, type SwitchyardErrorJSON } from '@switchyard/stream';

/**
 * The JSON text mode (README "Text mode"): one JSON object per WebSocket text
 * message, for browsers and debugging tools that cannot speak the binary
 * frames. Field names follow the stream package's NDJSON text mode
 * (PROTOCOL.md §12), so one tool can talk to the TCP and WebSocket gateways.
 *
 * Client → server
 *   {"id":1,"method":"greeter.hello","input":{…},"metadata":{…},"timeout":5000}   call
 *   {"method":"audit.log","input":{…}}                                           notify (no reply)
 *   {"cancel":1}                                                                 cancel call 1
 * Server → client
 *   {"id":1,"result":{…}}                      unary result (null for undefined)
 *   {"id":1,"data":{…}} … {"id":1,"end":true}  server-stream items, then the end
 *   {"id":1,"error":{"code","message","data"}} the call failed
 *   {"error":{…}}                              the message itself was unusable (no id to answer)
 *   {"push":"topic","value":{…}}               a push or a published value
 *   {"goaway":true}                            the server is draining: reconnect elsewhere
 * Bytes (Uint8Array values) are sent as base64 strings.
 */

/** Call ids are numbers or short strings chosen by the client. */
export type TextId = number | string;

export const MAX_ID_LENGTH = 128;
export const MAX_METHOD_LENGTH = 1024;
export const MAX_METADATA_ENTRIES = 64;

export type TextRequest =
  | {
      kind: 'call';
      id: TextId;
      method: string;
      input: unknown;
      metadata: Record<string, string> | undefined;
      /** Milliseconds the client is willing to wait. */
      timeout: number | undefined;
    }
  | {
      kind: 'notify';
      method: string;
      input: unknown;
      metadata: Record<string, string> | undefined;
    }
  | { kind: 'cancel'; id: TextId }
  | {
      kind: 'invalid';
      /** The id, when one could be read, so the client can match the error. */
      id: TextId | null;
      error: SwitchyardError;
    };

function invalid(id: TextId | null, message: string): TextRequest {
  return { kind: 'invalid', id, error: new SwitchyardError('INVALID_ARGUMENT', message) };
}

function readId(value: unknown): TextId | null | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH) return value;
  return null;
}

function readMetadata(value: unknown): Record<string, string> | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (entries.length > MAX_METADATA_ENTRIES) return null;
  const out: Record<string, string> = {};
  for (const [key, item] of entries) {
    if (typeof item !== 'string') return null;
    out[key] = item;
  }
  return out;
}

/** Parses one text message; never throws, whatever the client sent. */
export function parseTextRequest(text: string): TextRequest {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return invalid(null, 'text message is not valid JSON');
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return invalid(null, 'text message must be a JSON object');
  }
  const fields = message as Record<string, unknown>;

  if (fields.cancel !== undefined) {
    const id = readId(fields.cancel);
    if (id === null || id === undefined) return invalid(null, '"cancel" must be a call id');
    return { kind: 'cancel', id };
  }

  const id = readId(fields.id);
  if (id === null) {
    return invalid(null, `"id" must be a safe integer or a string of 1–${MAX_ID_LENGTH} chars`);
  }
  const replyId = id ?? null;
  const method = fields.method;
  if (typeof method !== 'string' || method.length === 0 || method.length > MAX_METHOD_LENGTH) {
    return invalid(replyId, '"method" must be a non-empty string');
  }
  const metadata = readMetadata(fields.metadata);
  if (metadata === null) {
    return invalid(
      replyId,
      `"metadata" must be an object of at most ${MAX_METADATA_ENTRIES} string values`,
    );
  }
  const timeout = fields.timeout;
  if (timeout !== undefined && (typeof timeout !== 'number' || !(timeout > 0))) {
    return invalid(replyId, '"timeout" must be a positive number of milliseconds');
  }
  if (id === undefined) return { kind: 'notify', method, input: fields.input, metadata };
  return { kind: 'call', id, method, input: fields.input, metadata, timeout };
}

/**
 * Bytes travel as base64 strings, as in the stream package's text mode; the
 * replacer looks at the holder's raw value because Buffer#toJSON runs first.
 */
function bytesAsBase64(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  if (raw instanceof Uint8Array) {
    return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64');
  }
  return value;
}

/** JSON.stringify that reports values it cannot encode instead of throwing. */
function stringify(value: object): string | SwitchyardError {
  try {
    return JSON.stringify(value, bytesAsBase64);
  } catch (error) {
    return new SwitchyardError('INTERNAL', 'value cannot be encoded as JSON', { cause: error });
  }
}

export function formatOutput(id: TextId, output: unknown): string {
  const text = stringify({ id, result: output === undefined ? null : output });
  return typeof text === 'string' ? text : formatError(id, text);
}

export function formatItem(id: TextId, item: unknown): string | SwitchyardError {
  return stringify({ id, data: item });
}

export function formatEnd(id: TextId): string {
  return JSON.stringify({ id, end: true });
}

export function formatError(id: TextId | null, error: SwitchyardError): string {
  const json: SwitchyardErrorJSON = error.toJSON();
  const text = stringify(id === null ? { error: json } : { id, error: json });
  if (typeof text === 'string') return text;
  // `data` is the only part that may not encode; drop it rather than fail twice.
  const plain = { code: json.code, message: json.message };
  return JSON.stringify(id === null ? { error: plain } : { id, error: plain });
}

export function formatPush(topic: string, data: unknown): string | SwitchyardError {
  return stringify({ push: topic, value: data === undefined ? null : data });
}

export const GOAWAY_MESSAGE = '{"goaway":true}';
