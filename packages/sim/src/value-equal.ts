/** Structural equality for plain data (primitives, arrays, plain objects, byte arrays). */
export function valueEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.length !== b.length)
      return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!valueEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
      return false;
  }
  return true;
}

/** A stable text key for plain data; distinguishes undefined from null. */
export function valueKey(v: unknown): string {
  if (v === undefined) return 'u';
  if (v instanceof Uint8Array) return `b${Array.from(v).join(',')}`;
  return `j${JSON.stringify(v)}`;
}

/** Short human form of a value for reports. */
export function show(v: unknown): string {
  if (v === undefined) return '?';
  if (v instanceof Uint8Array) return `bytes(${v.length})`;
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
