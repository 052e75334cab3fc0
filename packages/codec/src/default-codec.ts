import type { Codec } from './codec.js';
import { CodecRegistry } from './codec-registry.js';
import { jsonCodec } from './json-codec.js';
import { msgpackrCodec } from './msgpackr-codec.js';
import { rawCodec } from './raw-codec.js';

/** The default codec: msgpackr, id 1, no record structures. */
export const defaultCodec: Codec<unknown> = msgpackrCodec();

/** The built-in codecs under their standard ids. */
export const builtinCodecs = {
  raw: rawCodec(),
  msgpackr: defaultCodec,
  json: jsonCodec(),
} as const;

/** A fresh registry holding raw (0), msgpackr (1) and json (2). */
export function createDefaultRegistry(): CodecRegistry {
  return new CodecRegistry([builtinCodecs.raw, builtinCodecs.msgpackr, builtinCodecs.json]);
}

/**
 * A process-wide registry holding the built-ins. Registering into it affects
 * every user in the process; libraries should prefer `createDefaultRegistry()`.
 */
export const defaultRegistry: CodecRegistry = createDefaultRegistry();
