/**
 * The slice of @switchyard/codec's `Codec` the session needs. Structural, so
 * any codec from the registry (or a user's own) fits without an adapter.
 */
export interface WireCodec {
  /** Numeric id carried in every frame header's `codec` byte (0–255). */
  readonly id: number;
  readonly name: string;
  encode(value: unknown): Uint8Array;
  decode(bytes: Uint8Array): unknown;
  /**
   * Optional hot path: encode into `target` at `offset`; returns bytes written,
   * or `-n` when `n` bytes of room would suffice (see @switchyard/codec).
   */
  encodeInto?(value: unknown, target: Uint8Array, offset: number): number;
}
