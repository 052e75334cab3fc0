/**
 * A process-wide slab for short-lived copies (outgoing batches, received
 * values). Allocating a fresh ArrayBuffer per batch makes V8 account external
 * memory and run extra GCs; carving copies out of one large slab, as Node's
 * own Buffer pool does for small buffers, avoids that. A slab is freed once
 * no view into it is alive.
 */
const SLAB_SIZE = 512 * 1024;
/** Copies larger than this get their own buffer. */
export const SLAB_MAX_COPY = 64 * 1024;

let slab = Buffer.allocUnsafeSlow(0);
let offset = 0;

/** Copies `src[start, end)` into slab memory and returns the copy. */
export function slabCopy(src: Uint8Array, start: number, end: number): Buffer {
  const n = end - start;
  if (n > SLAB_MAX_COPY) {
    const own = Buffer.allocUnsafeSlow(n);
    own.set(src.subarray(start, end));
    return own;
  }
  if (offset + n > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    offset = 0;
  }
  const out = slab.subarray(offset, offset + n);
  out.set(src.subarray(start, end));
  // Keep 8-byte alignment so typed-array views over copies stay possible.
  offset = (offset + n + 7) & ~7;
  return out;
}
