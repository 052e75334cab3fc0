import type { Message, NodeId } from './types.js';

/** What a transport delivers to its node. */
export interface TransportHandler {
  /** A Raft message from a peer. */
  message(m: Message): void;
  /**
   * A complete InstallSnapshot: the 'snap' message and the state machine
   * bytes, reassembled from chunks by the transport.
   */
  snapshot(m: Message, data: Uint8Array): void;
  /**
   * A proposal a follower forwarded to this node (see `Transport.forward`):
   * appended here if this node leads, answered once applied, refused or
   * failed. Never forwarded again (one hop). Absent on nodes that predate
   * forwarding.
   */
  propose?(from: NodeId, data: Uint8Array, timeoutMs: number): Promise<ForwardReply>;
}

/**
 * The leader's answer to a forwarded proposal. `outcome` says what the
 * follower may tell its caller: 'refused' — never appended, safe to retry;
 * 'failed' — a known failure (overwritten, or the state machine threw);
 * 'unknown' — appended but the leader could not see it through (deadline,
 * shutdown): it may still commit, so it must not be retried blindly.
 */
export type ForwardReply =
  | { readonly ok: true; readonly result: Uint8Array }
  | {
      readonly ok: false;
      readonly code: string;
      readonly message: string;
      readonly leaderHint: NodeId | null;
      readonly outcome: 'refused' | 'failed' | 'unknown';
    };

/**
 * Moves Raft messages between nodes. Sends are best effort and never block:
 * Raft tolerates loss, so a transport drops rather than queues without bound.
 */
export interface Transport {
  start(handler: TransportHandler): Promise<void>;
  /** Sends messages (in order per peer, batched where possible). */
  send(messages: readonly Message[]): void;
  /**
   * Streams a snapshot to `m.to` in bounded chunks, then delivers `m`.
   * `done(true)` once the peer has it all, `done(false)` on any failure.
   */
  sendSnapshot(m: Message, data: Uint8Array, done: (ok: boolean) => void): void;
  /**
   * Sends an encoded proposal to `to` (the leader) and resolves with its
   * reply. Rejects with a SwitchyardError whose `data.sent` is false when the
   * request provably never reached the peer, true when it may have.
   * Optional: without it the node answers NOT_LEADER instead of forwarding.
   */
  forward?(to: NodeId, data: Uint8Array, timeoutMs: number): Promise<ForwardReply>;
  /** Learns a peer's address (from a membership change). */
  addPeer?(id: NodeId, address: string): void;
  removePeer?(id: NodeId): void;
  close(): Promise<void>;
}
