/**
 * AES-256-GCM keys: one primary key encrypts everything sent, and every key in
 * the ring (primary included) is tried on receipt. Rotation without downtime:
 * add the new key on every member, then make it primary everywhere, then
 * remove the old one.
 */
export class Keyring {
  private primary: Uint8Array;
  private readonly others: Uint8Array[] = [];

  constructor(primary: Uint8Array, accepted: readonly Uint8Array[] = []) {
    checkKey(primary);
    this.primary = Uint8Array.from(primary);
    for (const k of accepted) this.addKey(k);
  }

  /** The key used to encrypt. */
  get primaryKey(): Uint8Array {
    return this.primary;
  }

  /** All keys, primary first: the order decryption tries them in. */
  keys(): Uint8Array[] {
    return [this.primary, ...this.others];
  }

  /** Accepts packets encrypted with `key` (no-op if already present). */
  addKey(key: Uint8Array): void {
    checkKey(key);
    if (this.find(key) >= -1) return;
    this.others.push(Uint8Array.from(key));
  }

  /** Makes `key` primary, adding it if needed; the old primary stays accepted. */
  useKey(key: Uint8Array): void {
    checkKey(key);
    if (equal(key, this.primary)) return;
    const i = this.find(key);
    if (i >= 0) this.others.splice(i, 1);
    this.others.unshift(this.primary);
    this.primary = Uint8Array.from(key);
  }

  /** Stops accepting `key`. The primary key cannot be removed. */
  removeKey(key: Uint8Array): void {
    if (equal(key, this.primary))
      throw new Error('cannot remove the primary key; useKey another first');
    const i = this.find(key);
    if (i >= 0) this.others.splice(i, 1);
  }

  /** -1 for the primary, the index among the others, or -2 if absent. */
  private find(key: Uint8Array): number {
    if (equal(key, this.primary)) return -1;
    const i = this.others.findIndex((k) => equal(k, key));
    return i >= 0 ? i : -2;
  }
}

function checkKey(key: Uint8Array): void {
  if (!(key instanceof Uint8Array) || key.length !== 32) {
    throw new RangeError('keyring keys must be 32 bytes (AES-256)');
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}
