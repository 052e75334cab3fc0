import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Keyring } from './keyring.js';

/**
 * The outer envelope of every packet and stream message.
 *
 *   plain:      0x00 | labelLen u8 | label | body
 *   encrypted:  0x01 | nonce (12) | ciphertext | tag (16)   AAD = 0x01 | label
 *
 * With a keyring the label is never sent, only authenticated, so a packet from
 * another cluster (or with another label) fails to decrypt. Packets that fail
 * any check are dropped silently and counted.
 */
export interface GuardStats {
  /** Packets that failed authentication with every key. */
  decryptFailed: number;
  /** Plain packets whose label did not match, or plain packets when encryption is required. */
  labelMismatch: number;
  /** Encrypted packets whose nonce was seen recently (exact replays). */
  replayed: number;
  /** Packets too short or with an unknown envelope byte. */
  malformedEnvelope: number;
}

const NONCE = 12;
const TAG = 16;
const MODE_PLAIN = 0;
const MODE_GCM = 1;

export class PacketGuard {
  readonly stats: GuardStats = {
    decryptFailed: 0,
    labelMismatch: 0,
    replayed: 0,
    malformedEnvelope: 0,
  };
  private readonly labelBytes: Uint8Array;
  private readonly aad: Uint8Array;
  // Bounded FIFO of recent nonces: an exact replay inside the window is dropped;
  // older replays are harmless to the protocol (stale sequence numbers and
  // incarnations are ignored), which the tests check too.
  private readonly seen = new Set<string>();
  private readonly seenOrder: string[] = [];
  private seenHead = 0;

  constructor(
    readonly keyring: Keyring | undefined,
    label: string,
    private readonly replayWindow = 8_192,
    private readonly nonceSource: (n: number) => Uint8Array = (n) => randomBytes(n),
  ) {
    this.labelBytes = new TextEncoder().encode(label);
    if (this.labelBytes.length > 255) throw new RangeError('label must be at most 255 bytes');
    this.aad = new Uint8Array(1 + this.labelBytes.length);
    this.aad[0] = MODE_GCM;
    this.aad.set(this.labelBytes, 1);
  }

  /** Bytes added to a body by `seal`. */
  get overhead(): number {
    return this.keyring ? 1 + NONCE + TAG : 2 + this.labelBytes.length;
  }

  seal(body: Uint8Array): Uint8Array {
    if (this.keyring === undefined) {
      const out = new Uint8Array(2 + this.labelBytes.length + body.length);
      out[0] = MODE_PLAIN;
      out[1] = this.labelBytes.length;
      out.set(this.labelBytes, 2);
      out.set(body, 2 + this.labelBytes.length);
      return out;
    }
    const nonce = this.nonceSource(NONCE);
    const c = createCipheriv('aes-256-gcm', this.keyring.primaryKey, nonce);
    c.setAAD(this.aad);
    const ct = c.update(body);
    c.final();
    const tag = c.getAuthTag();
    const out = new Uint8Array(1 + NONCE + ct.length + TAG);
    out[0] = MODE_GCM;
    out.set(nonce, 1);
    out.set(ct, 1 + NONCE);
    out.set(tag, 1 + NONCE + ct.length);
    return out;
  }

  /** Returns the body, or undefined (and counts why) if the packet must be dropped. */
  open(packet: Uint8Array): Uint8Array | undefined {
    if (packet.length < 2) {
      this.stats.malformedEnvelope++;
      return undefined;
    }
    const mode = packet[0];
    if (this.keyring === undefined) {
      if (mode !== MODE_PLAIN) {
        this.stats.labelMismatch++;
        return undefined;
      }
      const len = packet[1] as number;
      if (packet.length < 2 + len || !sameBytes(packet, 2, this.labelBytes)) {
        this.stats.labelMismatch++;
        return undefined;
      }
      return packet.subarray(2 + len);
    }
    if (mode !== MODE_GCM) {
      // Unencrypted traffic into an encrypted cluster is a label/policy mismatch.
      this.stats[mode === MODE_PLAIN ? 'labelMismatch' : 'malformedEnvelope']++;
      return undefined;
    }
    if (packet.length < 1 + NONCE + TAG) {
      this.stats.malformedEnvelope++;
      return undefined;
    }
    const nonce = packet.subarray(1, 1 + NONCE);
    const ct = packet.subarray(1 + NONCE, packet.length - TAG);
    const tag = packet.subarray(packet.length - TAG);
    for (const key of this.keyring.keys()) {
      try {
        const d = createDecipheriv('aes-256-gcm', key, nonce);
        d.setAAD(this.aad);
        d.setAuthTag(tag);
        const a = d.update(ct);
        d.final();
        // Only authenticated packets enter the replay window, so forgeries cannot flush it.
        const id = Buffer.from(nonce).toString('base64');
        if (this.seen.has(id)) {
          this.stats.replayed++;
          return undefined;
        }
        this.remember(id);
        return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      } catch {
        // wrong key: try the next one
      }
    }
    this.stats.decryptFailed++;
    return undefined;
  }

  private remember(id: string): void {
    if (this.seenOrder.length < this.replayWindow) {
      this.seenOrder.push(id);
    } else {
      const old = this.seenOrder[this.seenHead] as string;
      this.seen.delete(old);
      this.seenOrder[this.seenHead] = id;
      this.seenHead = (this.seenHead + 1) % this.replayWindow;
    }
    this.seen.add(id);
  }
}

function sameBytes(buf: Uint8Array, at: number, want: Uint8Array): boolean {
  if (buf[at - 1] !== want.length) return false;
  for (let i = 0; i < want.length; i++) if (buf[at + i] !== want[i]) return false;
  return true;
}
