import type { ClusterMember } from '@switchyard/core';
import type { Gossip, MemberInfo } from '@switchyard/gossip';
import type { MemberStatus } from './member-table.js';
import { metaOf, type NodeInfo, parseNodeInfo } from './node-info.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** NodeInfo as gossip metadata: compact JSON (gossip caps metadata, 512 bytes by default). */
export function encodeNodeInfo(info: NodeInfo): Uint8Array {
  return encoder.encode(JSON.stringify(info));
}

export function decodeNodeInfo(meta: Uint8Array): NodeInfo | undefined {
  try {
    return parseNodeInfo(JSON.parse(decoder.decode(meta)));
  } catch {
    return undefined;
  }
}

interface Entry {
  info: NodeInfo;
  status: MemberStatus;
}

/**
 * The membership view when `@switchyard/gossip` (SWIM + Lifeguard) detects
 * failures: rebuilt from gossip's member list on every membership event, so
 * lookups on the forwarding path stay O(1). Members whose metadata is not a
 * valid NodeInfo (another application on the same gossip ring) are ignored.
 */
export class GossipView {
  private entries = new Map<string, Entry>();

  constructor(
    readonly self: NodeInfo,
    private readonly gossip: Gossip,
  ) {
    this.rebuild();
  }

  /** Re-reads gossip's members; true when anything changed. */
  rebuild(): boolean {
    const next = new Map<string, Entry>();
    for (const m of this.gossip.members() as MemberInfo[]) {
      if (m.name === this.self.id) continue;
      const info = decodeNodeInfo(m.meta);
      if (info === undefined || info.id !== m.name) continue;
      next.set(m.name, { info, status: m.status });
    }
    let changed = next.size !== this.entries.size;
    if (!changed) {
      for (const [id, e] of next) {
        const old = this.entries.get(id);
        if (
          old === undefined ||
          old.status !== e.status ||
          old.info.incarnation !== e.info.incarnation
        ) {
          changed = true;
          break;
        }
      }
    }
    this.entries = next;
    return changed;
  }

  info(id: string): NodeInfo | undefined {
    return id === this.self.id ? this.self : this.entries.get(id)?.info;
  }

  status(id: string): MemberStatus | undefined {
    return id === this.self.id ? 'alive' : this.entries.get(id)?.status;
  }

  live(): string[] {
    const out = [this.self.id];
    for (const [id, e] of this.entries)
      if (e.status === 'alive' || e.status === 'suspect') out.push(id);
    return out;
  }

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
