export {
  type Codec,
  DEFAULT_MAX_SIZE,
} from './codec.js';
export {
  CodecError,
  type CodecErrorCode,
  type CodecErrorOptions,
  isCodecError,
} from './codec-error.js';
export { CodecRegistry } from './codec-registry.js';
export {
  builtinCodecs,
  createDefaultRegistry,
  defaultCodec,
  defaultRegistry,
} from './default-codec.js';
export {
  type FieldType,
  type FieldValue,
  type FixedLayoutCodec,
  type FixedLayoutOptions,
  fixedLayout,
  type LayoutFields,
  type LayoutRecord,
  type NumericFieldType,
} from './fixed-layout.js';
export { type JsonCodecOptions, jsonCodec } from './json-codec.js';
export {
  type MsgpackrCodecOptions,
  type MsgpackrRecords,
  msgpackrCodec,
} from './msgpackr-codec.js';
export { type RawCodecOptions, rawCodec } from './raw-codec.js';
