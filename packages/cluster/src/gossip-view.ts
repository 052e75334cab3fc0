import type { Gossip, MemberInfo } from '@switchyard/gossip';
import { type MemberEntry, MemberView } from './member-view.js';
import { type NodeInfo, parseNodeInfo } from './node-info.js';

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

/**
 * The membership view when `@switchyard/gossip` (SWIM + Lifeguard) detects
 * failures: rebuilt from gossip's member list on every membership event, so
 * lookups on the forwarding path stay O(1). Members whose metadata is not a
 * valid NodeInfo (another application on the same gossip ring) are ignored.
 */
export class GossipView extends MemberView {
  constructor(
    self: NodeInfo,
    private readonly gossip: Gossip,
  ) {
    super(self);
    this.rebuild();
  }

  /** Re-reads gossip's members; true when anything changed. */
  rebuild(): boolean {
    const next = new Map<string, MemberEntry>();
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
}
