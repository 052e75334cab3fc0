import { decodeWire, encodeWire, WireError, type WireValue, WireWriter } from './wire.js';

/**
 * Protocol messages. Each is a msgpack array whose first element is its type;
 * a UDP packet is an array of messages (the first is the primary one, the rest
 * are piggybacked broadcasts), which keeps packets self-describing and lets
 * broadcasts be encoded once and copied into many packets.
 */
export const MsgType = {
  Ping: 0,
  Ack: 1,
  Nack: 2,
  PingReq: 3,
  Alive: 4,
  Suspect: 5,
  Dead: 6,
  User: 7,
  PushPull: 8,
} as const;

export type MemberStatus = 'alive' | 'suspect' | 'dead' | 'left';
const STATUS_CODES: MemberStatus[] = ['alive', 'suspect', 'dead', 'left'];

export interface PingMsg {
  type: typeof MsgType.Ping;
  seq: number;
  /** Name the sender believes lives at the address, so a restarted stranger does not ack. */
  target: string;
  /** Sender name, so the receiver can learn about it. */
  source: string;
}
export interface AckMsg {
  type: typeof MsgType.Ack;
  seq: number;
}
export interface NackMsg {
  type: typeof MsgType.Nack;
  seq: number;
}
export interface PingReqMsg {
  type: typeof MsgType.PingReq;
  seq: number;
  target: string;
  targetAddr: string;
  /** Whether the requester wants a nack when the target stays silent (Lifeguard). */
  nack: boolean;
}
export interface AliveMsg {
  type: typeof MsgType.Alive;
  name: string;
  addr: string;
  incarnation: number;
  meta: Uint8Array;
}
export interface SuspectMsg {
  type: typeof MsgType.Suspect;
  name: string;
  incarnation: number;
  from: string;
}
export interface DeadMsg {
  type: typeof MsgType.Dead;
  name: string;
  incarnation: number;
  /** Equal to `name` for a graceful leave. */
  from: string;
}
export interface UserMsg {
  type: typeof MsgType.User;
  origin: string;
  id: number;
  payload: Uint8Array;
}
export interface PushPullEntry {
  name: string;
  addr: string;
  incarnation: number;
  status: MemberStatus;
  meta: Uint8Array;
}
export interface PushPullMsg {
  type: typeof MsgType.PushPull;
  join: boolean;
  members: PushPullEntry[];
}

export type Message =
  | PingMsg
  | AckMsg
  | NackMsg
  | PingReqMsg
  | AliveMsg
  | SuspectMsg
  | DeadMsg
  | UserMsg
  | PushPullMsg;

/** Field bounds enforced on decode; hostile packets beyond them are dropped. */
export interface MessageLimits {
  maxName: number;
  maxAddr: number;
  maxMeta: number;
  maxPayload: number;
  maxMembers: number;
}

export const DEFAULT_MESSAGE_LIMITS: MessageLimits = {
  maxName: 128,
  maxAddr: 128,
  maxMeta: 512,
  maxPayload: 1_400,
  maxMembers: 100_000,
};

export function writeMessage(w: WireWriter, m: Message): void {
  switch (m.type) {
    case MsgType.Ping:
      w.arrayHeader(4);
      w.int(m.type);
      w.int(m.seq);
      w.str(m.target);
      w.str(m.source);
      return;
    case MsgType.Ack:
    case MsgType.Nack:
      w.arrayHeader(2);
      w.int(m.type);
      w.int(m.seq);
      return;
    case MsgType.PingReq:
      w.arrayHeader(5);
      w.int(m.type);
      w.int(m.seq);
      w.str(m.target);
      w.str(m.targetAddr);
      w.bool(m.nack);
      return;
    case MsgType.Alive:
      w.arrayHeader(5);
      w.int(m.type);
      w.str(m.name);
      w.str(m.addr);
      w.int(m.incarnation);
      w.bin(m.meta);
      return;
    case MsgType.Suspect:
    case MsgType.Dead:
      w.arrayHeader(4);
      w.int(m.type);
      w.str(m.name);
      w.int(m.incarnation);
      w.str(m.from);
      return;
    case MsgType.User:
      w.arrayHeader(4);
      w.int(m.type);
      w.str(m.origin);
      w.int(m.id);
      w.bin(m.payload);
      return;
    case MsgType.PushPull:
      w.arrayHeader(3);
      w.int(m.type);
      w.bool(m.join);
      w.arrayHeader(m.members.length);
      for (const e of m.members) {
        w.arrayHeader(5);
        w.str(e.name);
        w.str(e.addr);
        w.int(e.incarnation);
        w.int(STATUS_CODES.indexOf(e.status));
        w.bin(e.meta);
      }
      return;
  }
}

export function encodeMessage(m: Message): Uint8Array {
  const w = new WireWriter(64);
  writeMessage(w, m);
  return w.bytes();
}

function str(v: WireValue | undefined, max: number): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new WireError('bad string');
  return v;
}
function uint(v: WireValue | undefined): number {
  if (typeof v !== 'number' || v < 0) throw new WireError('bad integer');
  return v;
}
function bin(v: WireValue | undefined, max: number): Uint8Array {
  if (!(v instanceof Uint8Array) || v.length > max) throw new WireError('bad bytes');
  return v;
}
function bool(v: WireValue | undefined): boolean {
  if (typeof v !== 'boolean') throw new WireError('bad bool');
  return v;
}

/** Validates one decoded message array; throws WireError on anything unexpected. */
export function parseMessage(v: WireValue, lim: MessageLimits): Message {
  if (!Array.isArray(v) || v.length === 0) throw new WireError('message is not an array');
  const t = v[0];
  const expect = (n: number): void => {
    if (v.length !== n) throw new WireError('wrong field count');
  };
  switch (t) {
    case MsgType.Ping:
      expect(4);
      return {
        type: t,
        seq: uint(v[1]),
        target: str(v[2], lim.maxName),
        source: str(v[3], lim.maxName),
      };
    case MsgType.Ack:
    case MsgType.Nack:
      expect(2);
      return { type: t, seq: uint(v[1]) };
    case MsgType.PingReq:
      expect(5);
      return {
        type: t,
        seq: uint(v[1]),
        target: str(v[2], lim.maxName),
        targetAddr: str(v[3], lim.maxAddr),
        nack: bool(v[4]),
      };
    case MsgType.Alive:
      expect(5);
      return {
        type: t,
        name: str(v[1], lim.maxName),
        addr: str(v[2], lim.maxAddr),
        incarnation: uint(v[3]),
        meta: bin(v[4], lim.maxMeta),
      };
    case MsgType.Suspect:
    case MsgType.Dead:
      expect(4);
      return {
        type: t,
        name: str(v[1], lim.maxName),
        incarnation: uint(v[2]),
        from: str(v[3], lim.maxName),
      };
    case MsgType.User:
      expect(4);
      return {
        type: t,
        origin: str(v[1], lim.maxName),
        id: uint(v[2]),
        payload: bin(v[3], lim.maxPayload),
      };
    case MsgType.PushPull: {
      expect(3);
      const list = v[2];
      if (!Array.isArray(list) || list.length > lim.maxMembers) throw new WireError('bad members');
      const members: PushPullEntry[] = list.map((e) => {
        if (!Array.isArray(e) || e.length !== 5) throw new WireError('bad member entry');
        const code = uint(e[3]);
        const status = STATUS_CODES[code];
        if (status === undefined) throw new WireError('bad status');
        return {
          name: str(e[0], lim.maxName),
          addr: str(e[1], lim.maxAddr),
          incarnation: uint(e[2]),
          status,
          meta: bin(e[4], lim.maxMeta),
        };
      });
      return { type: t, join: bool(v[1]), members };
    }
    default:
      throw new WireError('unknown message type');
  }
}

/** Decodes a UDP packet body: an array of one or more messages. */
export function decodePacket(bytes: Uint8Array, lim: MessageLimits): Message[] {
  const v = decodeWire(bytes, { maxDepth: 3, maxArray: 4096 });
  if (!Array.isArray(v) || v.length === 0) throw new WireError('packet is not a message list');
  return v.map((m) => parseMessage(m, lim));
}

/** Decodes a TCP stream body: exactly one message (push-pull or ping/ack). */
export function decodeStreamMessage(bytes: Uint8Array, lim: MessageLimits): Message {
  return parseMessage(decodeWire(bytes, { maxDepth: 3, maxArray: lim.maxMembers }), lim);
}

export { encodeWire };
