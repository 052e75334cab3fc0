import { type MemberEntry, MemberView } from './member-view.js';
import type { NodeInfo } from './node-info.js';

export type { MemberStatus } from './member-view.js';

interface Entry extends MemberEntry {
  /** Last direct contact (local clock, ms). Hearsay never refreshes it. */
  heard: number;
  /** When the status last changed. */
  since: number;
}

export interface MemberTableOptions {
  /** No direct contact for this long: suspect (ms). */
  suspectAfter: number;
  /** No direct contact for this long: dead (ms). */
  deadAfter: number;
  /** Dead or left members are forgotten after this long (ms). */
  forgetAfter: number;
  /** Members kept at most; new ones beyond it are refused (a flood stops here). */
  maxMembers: number;
}

/**
 * The membership view of one node: pure, clock injected. Liveness comes only
 * from direct contact; records heard second-hand only introduce a member
 * (which then has `suspectAfter` to answer us directly) or carry a newer
 * incarnation's addresses. A member that left says so itself.
 */
export class MemberTable extends MemberView<Entry> {
  private changed = false;

  constructor(
    self: NodeInfo,
    private readonly options: MemberTableOptions,
  ) {
    super(self);
  }

  /** A message straight from `info.id`: it is alive. */
  heard(info: NodeInfo, now: number): void {
    if (info.id === this.self.id) return;
    const e = this.entries.get(info.id);
    if (e === undefined) {
      if (!this.admit()) return;
      this.entries.set(info.id, { info, status: 'alive', heard: now, since: now });
      this.changed = true;
      return;
    }
    if (info.incarnation < e.info.incarnation) return;
    if (e.status === 'left' && info.incarnation === e.info.incarnation) return;
    if (e.status !== 'alive' || !sameInfo(e.info, info)) this.changed = true;
    if (e.status !== 'alive') e.since = now;
    e.info = info;
    e.status = 'alive';
    e.heard = now;
  }

  /** A record relayed by another member: may introduce `info.id`, never proves it alive. */
  learned(info: NodeInfo, now: number): void {
    if (info.id === this.self.id) return;
    const e = this.entries.get(info.id);
    if (e === undefined) {
      if (!this.admit()) return;
      // Introduced as alive; it has suspectAfter to answer us directly.
      this.entries.set(info.id, { info, status: 'alive', heard: now, since: now });
      this.changed = true;
    } else if (info.incarnation > e.info.incarnation) {
      // A restart: new addresses, a fresh chance to answer.
      e.info = info;
      e.status = 'alive';
      e.heard = now;
      e.since = now;
      this.changed = true;
    }
  }

  /** `id` announced it is leaving (incarnation guards against a stale announcement). */
  left(id: string, incarnation: number, now: number): void {
    const e = this.entries.get(id);
    if (e === undefined || incarnation < e.info.incarnation || e.status === 'left') return;
    e.status = 'left';
    e.since = now;
    this.changed = true;
  }

  /** Ages members; returns true when any status changed since the last call. */
  tick(now: number): boolean {
    const { suspectAfter, deadAfter, forgetAfter } = this.options;
    for (const [id, e] of this.entries) {
      const silent = now - e.heard;
      if ((e.status === 'dead' || e.status === 'left') && now - e.since >= forgetAfter) {
        this.entries.delete(id);
        this.changed = true;
      } else if (e.status === 'alive' && silent >= suspectAfter) {
        e.status = silent >= deadAfter ? 'dead' : 'suspect';
        e.since = now;
        this.changed = true;
      } else if (e.status === 'suspect' && silent >= deadAfter) {
        e.status = 'dead';
        e.since = now;
        this.changed = true;
      }
    }
    const c = this.changed;
    this.changed = false;
    return c;
  }

  /** Records worth relaying: self and the members not known gone. */
  relayable(): NodeInfo[] {
    const out = [this.self];
    for (const e of this.entries.values()) if (e.status === 'alive') out.push(e.info);
    return out;
  }

  private admit(): boolean {
    return this.entries.size + 1 < this.options.maxMembers;
  }
}

function sameInfo(a: NodeInfo, b: NodeInfo): boolean {
  return (
    a.incarnation === b.incarnation &&
    a.stream === b.stream &&
    a.groups.join(',') === b.groups.join(',') &&
    JSON.stringify(a.gateways) === JSON.stringify(b.gateways)
  );
}
