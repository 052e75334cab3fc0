import { C1, Packr, RESET_BUFFER_MODE, REUSE_BUFFER_MODE } from 'msgpackr';
import {
  type Codec,
  checkCodecIdentity,
  checkDecodeInput,
  checkEncodedSize,
  checkMaxSize,
  checkTarget,
} from './codec.js';
import { CodecError } from './codec-error.js';

/**
 * Record structures: msgpackr writes an object's key list once and then refers
 * to it by a small number, instead of repeating every key in every object.
 *
 * - `true`: key lists are defined inside each message. Self-describing (the
 *   peer needs nothing), and a win for arrays of same-shaped objects within
 *   one message; a single small object gets slightly bigger.
 * - `{ structures }`: key lists agreed out of band. Messages shrink to the
 *   values alone, but BOTH SIDES MUST BE CONSTRUCTED WITH THE SAME LIST IN THE
 *   SAME ORDER (same slot → same keys); a peer with a different list decodes
 *   garbage or fails. The list is frozen: shapes not in it fall back to
 *   in-message definitions, so a long-lived connection never drifts out of sync.
 */
export type MsgpackrRecords = boolean | { structures: readonly (readonly string[])[] };

export interface MsgpackrCodecOptions {
  id?: number;
  name?: string;
  maxSize?: number;
  records?: MsgpackrRecords;
  /**
   * Copy binary (bin) values out of the input on decode. Default true, because
   * transports reuse their read buffers; set false only when the caller keeps
   * the input alive and unchanged for as long as the decoded value is used.
   */
  copyBuffers?: boolean;
}

// msgpackr keeps at most 32 shared structures in its compact one-byte slots.
const MAX_SHARED_STRUCTURES = 32;

function makePackr(records: MsgpackrRecords, copyBuffers: boolean, name: string): Packr {
  const base = {
    copyBuffers,
    // Decode 64-bit integers beyond 2^53 as BigInt rather than losing digits.
    int64AsType: 'bigint' as const,
    // Untrusted input: msgpackr must not believe record definitions blindly.
    trusted: false,
    // Keep Map, Set and typed arrays as themselves (msgpackr extension types)
    // instead of flattening them to objects, arrays and bytes.
    moreTypes: true,
  };
  if (records === false) return new Packr({ ...base, useRecords: false });
  if (records === true) return new Packr({ ...base, useRecords: true });
  const list = records.structures;
  if (!Array.isArray(list) || list.length > MAX_SHARED_STRUCTURES) {
    throw new CodecError(
      'INVALID_CODEC',
      `records.structures must be an array of at most ${MAX_SHARED_STRUCTURES} key lists`,
      { codec: name },
    );
  }
  for (const keys of list) {
    if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => typeof k !== 'string')) {
      throw new CodecError('INVALID_CODEC', 'each record structure must be a non-empty string[]', {
        codec: name,
      });
    }
  }
  return new Packr({
    ...base,
    useRecords: true,
    // msgpackr appends to this array; give it a private copy.
    structures: list.map((keys) => [...keys]),
    maxSharedStructures: list.length,
    // Freeze the agreed set: never learn new shared shapes at run time.
    shouldShareStructure: () => false,
  });
}

function decodeError(cause: unknown, name: string): CodecError {
  if (cause instanceof RangeError && /call stack/i.test(cause.message)) {
    return new CodecError('MALFORMED', 'input is nested too deeply', { codec: name, cause });
  }
  const incomplete =
    typeof cause === 'object' && cause !== null && (cause as { incomplete?: unknown }).incomplete;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new CodecError(incomplete ? 'TRUNCATED' : 'MALFORMED', `invalid MessagePack: ${message}`, {
    codec: name,
    cause,
  });
}

function encodeError(cause: unknown, name: string): CodecError {
  if (cause instanceof CodecError) return cause;
  const message = cause instanceof Error ? cause.message : String(cause);
  return new CodecError('UNSUPPORTED_TYPE', `cannot encode as MessagePack: ${message}`, {
    codec: name,
    cause,
  });
}

type ReusedTarget = Uint8Array & { start: number; end: number };

/**
 * MessagePack through msgpackr, the default codec. `encode` returns a view of
 * msgpackr's internal block: it stays valid (msgpackr never writes over a
 * returned result), but copy it if you keep many small results for long, or
 * they pin whole blocks in memory.
 */
export function msgpackrCodec(options: MsgpackrCodecOptions = {}): Codec<unknown> {
  const id = options.id ?? 1;
  const records = options.records ?? false;
  const name = options.name ?? (records === false ? 'msgpackr' : 'msgpackr-records');
  checkCodecIdentity(id, name);
  const maxSize = checkMaxSize(options.maxSize);
  const packr = makePackr(records, options.copyBuffers ?? true, name);

  return {
    id,
    name,
    maxSize,
    encode(value) {
      let bytes: Uint8Array;
      try {
        bytes = packr.pack(value);
      } catch (cause) {
        throw encodeError(cause, name);
      }
      checkEncodedSize(bytes.length, maxSize, name);
      return bytes;
    },
    encodeInto(value, target, offset) {
      checkTarget(target, offset, name);
      let packed: ReusedTarget;
      try {
        // Encode into msgpackr's scratch block and rewind it afterwards, so the
        // only per-call work besides encoding is one memcpy into `target`.
        packed = packr.pack(
          value,
          REUSE_BUFFER_MODE | RESET_BUFFER_MODE,
        ) as unknown as ReusedTarget;
      } catch (cause) {
        throw encodeError(cause, name);
      }
      const size = packed.end - packed.start;
      checkEncodedSize(size, maxSize, name);
      if (target.length - offset < size) return -size;
      const start = packed.start;
      if (size <= 64) {
        // For small payloads a plain loop beats creating a view for set().
        for (let i = 0; i < size; i++) target[offset + i] = packed[start + i]!;
      } else {
        target.set(packed.subarray(start, packed.end), offset);
      }
      return size;
    },
    decode(bytes) {
      checkDecodeInput(bytes, maxSize, name);
      if (bytes.length === 0) throw new CodecError('TRUNCATED', 'empty input', { codec: name });
      let value: unknown;
      try {
        value = packr.unpack(bytes);
      } catch (cause) {
        throw decodeError(cause, name);
      }
      // msgpackr hands back a marker object for the never-used byte 0xc1
      // instead of failing; as a whole message it can only be garbage.
      if (value === C1)
        throw new CodecError('MALFORMED', 'byte 0xc1 is never used', { codec: name });
      return value;
    },
  };
}
