import type { ClusterMember } from '@switchyard/core';
import { metaOf, type NodeInfo } from './node-info.js';

export type MemberStatus = ClusterMember['status'];

/** What every membership source keeps per member. */
export interface MemberEntry {
  info: NodeInfo;
  status: MemberStatus;
}

/**
 * The queries the cluster node asks of its membership, whichever source fills
 * it (the built-in table or the gossip view): one implementation, so placement
 * and forwarding see the same answers from both.
 */
export abstract class MemberView<E extends MemberEntry = MemberEntry> {
  protected entries = new Map<string, E>();

  constructor(readonly self: NodeInfo) {}

  info(id: string): NodeInfo | undefined {
    return id === this.self.id ? this.self : this.entries.get(id)?.info;
  }

  status(id: string): MemberStatus | undefined {
    return id === this.self.id ? 'alive' : this.entries.get(id)?.status;
  }

  /** Ids that count for placement: self and every member alive or merely suspected. */
  live(): string[] {
    const out = [this.self.id];
    for (const [id, e] of this.entries)
      if (e.status === 'alive' || e.status === 'suspect') out.push(id);
    return out;
  }

  /** Every peer we should keep talking to (alive, suspect, or recently dead: it may return). */
  peers(): NodeInfo[] {
    const out: NodeInfo[] = [];
    for (const e of this.entries.values()) if (e.status !== 'left') out.push(e.info);
    return out;
  }

  members(): ClusterMember[] {
    const out: ClusterMember[] = [
      { id: this.self.id, address: this.self.stream, status: 'alive', meta: metaOf(this.self) },
    ];
    for (const [id, e] of this.entries) {
      out.push({ id, address: e.info.stream, status: e.status, meta: metaOf(e.info) });
    }
    return out;
  }
}
