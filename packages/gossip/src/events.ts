import type { MemberStatus } from './messages.js';

/** What the cluster knows about one member. */
export interface MemberInfo {
  name: string;
  addr: string;
  meta: Uint8Array;
  incarnation: number;
  status: MemberStatus;
}

export type MembershipEventType = 'join' | 'update' | 'suspect' | 'alive' | 'dead' | 'leave';

/**
 * A change in membership as seen by this member. `from` names who made the
 * claim (the accuser for suspect/dead, the member itself otherwise).
 */
export interface MembershipEvent {
  type: MembershipEventType;
  member: MemberInfo;
  from: string;
}

/** A user broadcast delivered to this member (once per broadcast). */
export interface MessageEvent {
  type: 'message';
  origin: string;
  payload: Uint8Array;
}

export type GossipEvent = MembershipEvent | MessageEvent;
