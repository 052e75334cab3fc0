import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keyring } from './keyring.js';
import { PacketGuard } from './packet-guard.js';

const k1 = randomBytes(32);
const k2 = randomBytes(32);
const body = new TextEncoder().encode('hello cluster');

describe('Keyring', () => {
  it('rejects keys that are not 32 bytes', () => {
    expect(() => new Keyring(randomBytes(16))).toThrow(/32 bytes/);
    expect(() => new Keyring(k1).addKey(randomBytes(31))).toThrow(/32 bytes/);
  });

  it('rotates: add, use, remove; the primary cannot be removed', () => {
    const ring = new Keyring(k1);
    ring.addKey(k2);
    ring.addKey(k2);
    expect(ring.keys()).toHaveLength(2);
    ring.useKey(k2);
    expect(Buffer.from(ring.primaryKey).equals(k2)).toBe(true);
    expect(() => ring.removeKey(k2)).toThrow(/primary/);
    ring.removeKey(k1);
    expect(ring.keys()).toHaveLength(1);
  });
});

describe('PacketGuard', () => {
  it('encrypts with the primary key and opens with any accepted key', () => {
    const sender = new PacketGuard(new Keyring(k1), 'prod');
    const receiver = new PacketGuard(new Keyring(k2, [k1]), 'prod');
    const sealed = sender.seal(body);
    expect(Buffer.from(sealed).includes(Buffer.from(body))).toBe(false);
    expect(sealed.length).toBe(body.length + sender.overhead);
    expect(receiver.open(sealed)).toEqual(body);
  });

  it('drops wrong key, wrong label, plaintext and tampering, counting each', () => {
    const sealed = new PacketGuard(new Keyring(k1), 'prod').seal(body);
    const wrongKey = new PacketGuard(new Keyring(k2), 'prod');
    expect(wrongKey.open(sealed)).toBeUndefined();
    expect(wrongKey.stats.decryptFailed).toBe(1);
    const wrongLabel = new PacketGuard(new Keyring(k1), 'staging');
    expect(wrongLabel.open(sealed)).toBeUndefined();
    expect(wrongLabel.stats.decryptFailed).toBe(1);
    const g = new PacketGuard(new Keyring(k1), 'prod');
    expect(g.open(new PacketGuard(undefined, 'prod').seal(body))).toBeUndefined();
    expect(g.stats.labelMismatch).toBe(1);
    const tampered = Uint8Array.from(sealed);
    tampered[20] = (tampered[20] as number) ^ 1;
    expect(g.open(tampered)).toBeUndefined();
    expect(g.open(sealed.subarray(0, 20))).toBeUndefined();
    expect(g.open(new Uint8Array(0))).toBeUndefined();
    expect(g.stats.decryptFailed).toBe(1);
    expect(g.stats.malformedEnvelope).toBe(2);
  });

  it('drops exact replays inside the window', () => {
    const s = new PacketGuard(new Keyring(k1), '');
    const r = new PacketGuard(new Keyring(k1), '', 4);
    const p = s.seal(body);
    expect(r.open(p)).toEqual(body);
    expect(r.open(p)).toBeUndefined();
    expect(r.stats.replayed).toBe(1);
    // Beyond the window an old packet opens again; the protocol layer treats it as stale.
    for (let i = 0; i < 4; i++) r.open(s.seal(body));
    expect(r.open(p)).toEqual(body);
  });

  it('checks the label on plaintext packets', () => {
    const a = new PacketGuard(undefined, 'blue');
    const b = new PacketGuard(undefined, 'green');
    expect(b.open(a.seal(body))).toBeUndefined();
    expect(b.stats.labelMismatch).toBe(1);
    expect(new PacketGuard(undefined, 'blue').open(a.seal(body))).toEqual(body);
    expect(() => new PacketGuard(undefined, 'x'.repeat(300))).toThrow(/label/);
  });
});
