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
}

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
  /** Learns a peer's address (from a membership change). */
  addPeer?(id: NodeId, address: string): void;
  removePeer?(id: NodeId): void;
  close(): Promise<void>;
}
