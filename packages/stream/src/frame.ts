/**
 * Frame layout constants (PROTOCOL.md §2). A frame is a fixed 24-byte
 * little-endian header, then an optional method name, an optional extension
 * block, the codec-encoded body and a raw blob:
 *
 *   magic u16 | version u8 | type u8 | flags u8 | codec u8 | extLength u16 |
 *   seq u32 | method u32 | bodyLength u32 | blobLength u32
 */
export const HEADER_SIZE = 24;
/** Bytes F5 59 on the wire: 0xF5 is never valid UTF-8, so text mode is told apart by byte 0. */
export const MAGIC = 0x59f5;
export const MAGIC_BYTE0 = 0xf5;
export const PROTOCOL_VERSION = 1;

export const FrameType = {
  HELLO: 1,
  REQUEST: 2,
  RESPONSE: 3,
  ERROR: 4,
  STREAM_DATA: 5,
  STREAM_END: 6,
  CREDIT: 7,
  CANCEL: 8,
  PING: 9,
  PONG: 10,
  GOAWAY: 11,
  PUSH: 12,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];
export const MAX_FRAME_TYPE = 12;

/** Names for logs and errors. */
export const FRAME_TYPE_NAMES: readonly string[] = [
  'INVALID',
  'HELLO',
  'REQUEST',
  'RESPONSE',
  'ERROR',
  'STREAM_DATA',
  'STREAM_END',
  'CREDIT',
  'CANCEL',
  'PING',
  'PONG',
  'GOAWAY',
  'PUSH',
];

/** REQUEST flags bits 0–2: the call kind (§6.1). */
export const KIND_MASK = 0x07;
export const Kind = {
  UNARY: 0,
  SERVER_STREAM: 1,
  CLIENT_STREAM: 2,
  BIDI: 3,
  NOTIFY: 4,
} as const;
/** The value is the blob itself (a Uint8Array); the body is empty (§2.4). */
export const FLAG_RAW = 0x08;
/** The sender is the callee of call `seq` (it answers a call the receiver started) (§4.2). */
export const FLAG_CALLEE = 0x10;
/** Flag bits defined in version 1; others must be zero. */
export const KNOWN_FLAGS = 0x1f;

/** `method` with the high bit set: the low 31 bits are the byte length of a UTF-8 name after the header (§5). */
export const METHOD_NAME_BIT = 0x80000000;
export const MAX_METHOD_NAME = 1024;

export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024;
export const MIN_MAX_FRAME_SIZE = 1024;
/** The codec id HELLO bodies and session-generated ERROR bodies always use (JSON, §3). */
export const JSON_CODEC_ID = 2;
