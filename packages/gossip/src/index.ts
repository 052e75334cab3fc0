export { BroadcastQueue, retransmitLimit } from './broadcast-queue.js';
export { PROFILES, type ProfileName, type ProtocolConfig, resolveConfig } from './config.js';
export { type CoreOptions, type CoreStats, GossipCore, type Output } from './core.js';
export type {
  GossipEvent,
  MemberInfo,
  MembershipEvent,
  MembershipEventType,
  MessageEvent,
} from './events.js';
export { createGossip, Gossip, type GossipOptions, generateKey } from './gossip.js';
export { Keyring } from './keyring.js';
export type { MemberStatus } from './messages.js';
export { type GuardStats, PacketGuard } from './packet-guard.js';
export { Suspicion, suspicionMinTimeout, suspicionTimeout } from './suspicion.js';
