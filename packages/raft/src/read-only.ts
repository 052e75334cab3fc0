import type { NodeId } from './types.js';

/** A ReadIndex request waiting for a quorum of heartbeat acknowledgements. */
export interface PendingRead {
  readonly context: string;
  /** Who asked: this node, or a follower that forwarded the request. */
  readonly from: NodeId;
  /** The commit index when the request arrived: the read must see at least this. */
  readonly index: number;
  readonly acks: Map<NodeId, boolean>;
}

/**
 * The leader's queue of ReadIndex requests (Raft thesis §6.4). Requests are
 * confirmed in arrival order: a quorum acknowledging a later heartbeat also
 * confirms every earlier request. Bounded: callers check `full()`.
 */
export class ReadOnlyQueue {
  private queue: PendingRead[] = [];

  constructor(readonly capacity: number) {}

  get size(): number {
    return this.queue.length;
  }

  full(): boolean {
    return this.queue.length >= this.capacity;
  }

  add(read: PendingRead): void {
    this.queue.push(read);
  }

  lastContext(): string {
    return this.queue[this.queue.length - 1]?.context ?? '';
  }

  find(context: string): PendingRead | undefined {
    return this.queue.find((r) => r.context === context);
  }

  /** Removes and returns every request up to and including `context`. */
  releaseThrough(context: string): PendingRead[] {
    const at = this.queue.findIndex((r) => r.context === context);
    if (at < 0) return [];
    return this.queue.splice(0, at + 1);
  }

  clear(): PendingRead[] {
    const all = this.queue;
    this.queue = [];
    return all;
  }
}
