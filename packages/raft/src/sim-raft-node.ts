import type { Host, SimFile } from '@switchyard/sim';
import { RaftCore, type RaftCoreOptions, type Ready } from './raft-core.js';
import type { Entry, HardState, Message, NodeId, SnapshotMeta } from './types.js';

/**
 * A Raft node for the deterministic simulator (test support, not exported):
 * the pure core under a small driver that follows the Ready contract on the
 * simulated disk (a checksummed write-ahead log, so torn and lost unsynced
 * writes are detected on restart) and the simulated network. The state
 * machine is a string key-value map.
 */
export interface SimMessage {
  readonly m: Message;
  /** Snapshot bytes travel with InstallSnapshot (the real transport streams them in chunks). */
  readonly snapData?: string;
}

type WalRecord =
  | { t: 'hs'; hs: HardState }
  | { t: 'ents'; e: Array<[number, number, 0 | 1, string]> }
  | { t: 'snap'; meta: SnapshotMeta; data: string };

export interface SimObserver {
  /** Called after every event that may change a node's Raft state. */
  onEvent(node: SimRaftNode): void;
  /** Called for every entry a node applies. */
  onApply(node: SimRaftNode, e: Entry): void;
}

export type Callback<T> = (err: string | null, value?: T) => void;

const enc = new TextEncoder();
const dec = new TextDecoder();

function checksum(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ (b[i] ?? 0), 0x01000193);
  return h >>> 0;
}

function toEntry(r: [number, number, 0 | 1, string]): Entry {
  return {
    index: r[0],
    term: r[1],
    kind: r[2] === 1 ? 'config' : 'normal',
    data: enc.encode(r[3]),
  };
}

export class SimRaftNode {
  readonly id: NodeId;
  core: RaftCore;
  readonly kv = new Map<string, string>();
  applied = 0;
  private readonly wal: SimFile;
  private busy = false;
  private readonly pendingProps = new Map<number, { term: number; cb: Callback<void> }>();
  private readonly pendingReads = new Map<string, { key: string; cb: Callback<string | null> }>();
  private readonly readyReads: { index: number; key: string; cb: Callback<string | null> }[] = [];
  private readonly snapDataIn = new Map<string, string>();
  private snapData = '{}';
  private snapIndex = 0;
  private readSeq = 0;
  /** Reads answered from the leader's lease, without a heartbeat round (to check the workload uses them). */
  leaseReads = 0;
  private logBytesSinceSnap = 0;

  constructor(
    private readonly host: Host<SimMessage>,
    founders: readonly NodeId[] | null,
    options: Partial<RaftCoreOptions>,
    private readonly observer: SimObserver,
    private readonly snapshotEvery = 40,
  ) {
    this.id = host.name;
    this.wal = host.disk.file('raft.wal');
    const restored = this.recover();
    this.core = new RaftCore({ ...options, id: this.id, random: () => host.rng.float() }, restored);
    if (restored.snapshot) {
      this.restoreSm(this.snapData);
      this.applied = restored.snapshot.index;
    }
    if (
      founders &&
      restored.entries.length === 0 &&
      !restored.snapshot &&
      restored.hardState.term === 0
    ) {
      this.core.bootstrap(founders);
    }
    host.onMessage((sm) => {
      if (sm.m.type === 'snap' && sm.snapData !== undefined && sm.m.snapshot) {
        this.snapDataIn.set(`${sm.m.snapshot.index}/${sm.m.snapshot.term}`, sm.snapData);
      }
      this.core.step(sm.m);
      this.observer.onEvent(this);
      this.pump();
    });
    const tick = () => {
      this.core.tick();
      this.observer.onEvent(this);
      this.pump();
      host.setTimer(10, tick);
    };
    host.setTimer(host.rng.int(1, 10), tick);
    this.observer.onEvent(this);
    this.pump();
  }

  /** Replays the WAL up to the first torn or missing record and cuts the rest. */
  private recover(): { hardState: HardState; snapshot: SnapshotMeta | null; entries: Entry[] } {
    const buf = this.wal.read();
    let off = 0;
    let hs: HardState = { term: 0, vote: null, commit: 0 };
    let snap: SnapshotMeta | null = null;
    let entries: Entry[] = [];
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (off + 8 <= buf.length) {
      const len = view.getUint32(off, true);
      const sum = view.getUint32(off + 4, true);
      if (off + 8 + len > buf.length) break;
      const body = buf.subarray(off + 8, off + 8 + len);
      if (checksum(body) !== sum) break;
      const rec = JSON.parse(dec.decode(body)) as WalRecord;
      if (rec.t === 'hs') hs = rec.hs;
      else if (rec.t === 'snap') {
        if (!snap || rec.meta.index > snap.index) {
          snap = rec.meta;
          this.snapData = rec.data;
          this.snapIndex = rec.meta.index;
          const keep = entries.filter((e) => e.index > rec.meta.index);
          // Entries after the snapshot survive only if they continue it.
          const first = keep[0];
          entries = first && first.index === rec.meta.index + 1 ? keep : [];
        }
      } else {
        const base = snap?.index ?? 0;
        const es = rec.e.map(toEntry).filter((e) => e.index > base);
        const first = es[0];
        if (first) {
          entries = entries.slice(0, Math.max(0, first.index - base - 1));
          if (first.index === base + entries.length + 1) entries.push(...es);
        }
      }
      off += 8 + len;
    }
    if (off < buf.length) this.wal.truncate(off);
    if (hs.commit > (snap?.index ?? 0) + entries.length) {
      hs = { ...hs, commit: (snap?.index ?? 0) + entries.length };
    }
    return { hardState: hs, snapshot: snap, entries };
  }

  private append(rec: WalRecord): void {
    const body = enc.encode(JSON.stringify(rec));
    const head = new Uint8Array(8);
    const v = new DataView(head.buffer);
    v.setUint32(0, body.length, true);
    v.setUint32(4, checksum(body), true);
    const out = new Uint8Array(8 + body.length);
    out.set(head);
    out.set(body, 8);
    this.wal.append(out);
  }

  /** Drives Ready cycles; one at a time, since persistence is asynchronous. */
  private pump(): void {
    if (this.busy || !this.host.alive) return;
    if (!this.core.hasReady()) return;
    const rd = this.core.ready();
    this.observer.onEvent(this);
    for (const m of rd.messages) this.send(m);
    let wrote = false;
    if (rd.snapshot) {
      const data = this.snapDataIn.get(`${rd.snapshot.index}/${rd.snapshot.term}`) ?? '{}';
      this.snapDataIn.clear();
      this.append({ t: 'snap', meta: rd.snapshot, data });
      this.snapData = data;
      this.snapIndex = rd.snapshot.index;
      this.restoreSm(data);
      this.applied = rd.snapshot.index;
      wrote = true;
    }
    if (rd.entries.length > 0) {
      this.append({
        t: 'ents',
        e: rd.entries.map((e) => [
          e.index,
          e.term,
          e.kind === 'config' ? 1 : 0,
          dec.decode(e.data),
        ]),
      });
      this.logBytesSinceSnap += rd.entries.length;
      wrote = true;
    }
    if (rd.hardState) {
      this.append({ t: 'hs', hs: rd.hardState });
      wrote = true;
    }
    if (!wrote) {
      this.afterPersist(rd);
      return;
    }
    this.busy = true;
    this.wal.sync(() => {
      if (!this.host.alive) return;
      this.afterPersist(rd);
    });
  }

  private afterPersist(rd: Ready): void {
    for (const m of rd.persistedMessages) this.send(m);
    for (const e of rd.committedEntries) this.apply(e);
    for (const r of rd.readStates) {
      const p = this.pendingReads.get(r.context);
      if (!p) continue;
      this.pendingReads.delete(r.context);
      this.readyReads.push({ index: r.index, key: p.key, cb: p.cb });
    }
    this.core.advance();
    this.serveReads();
    this.maybeSnapshot();
    this.busy = false;
    this.observer.onEvent(this);
    this.pump();
  }

  private apply(e: Entry): void {
    if (e.index !== this.applied + 1)
      throw new Error(`${this.id}: apply ${e.index} after ${this.applied}`);
    this.applied = e.index;
    this.observer.onApply(this, e);
    if (e.kind === 'normal' && e.data.byteLength > 0) {
      const cmd = JSON.parse(dec.decode(e.data)) as { k: string; v: string };
      this.kv.set(cmd.k, cmd.v);
    }
    const p = this.pendingProps.get(e.index);
    if (p) {
      this.pendingProps.delete(e.index);
      p.cb(p.term === e.term ? null : 'dropped');
    }
  }

  private serveReads(): void {
    for (let i = 0; i < this.readyReads.length; ) {
      const r = this.readyReads[i];
      if (r && r.index <= this.applied) {
        this.readyReads.splice(i, 1);
        r.cb(null, this.kv.get(r.key) ?? null);
      } else i++;
    }
  }

  private maybeSnapshot(): void {
    if (this.logBytesSinceSnap < this.snapshotEvery) return;
    const st = this.core.status();
    if (st.applied - st.firstIndex < this.snapshotEvery) return;
    this.logBytesSinceSnap = 0;
    const meta = this.core.snapshotMeta();
    const data = JSON.stringify([...this.kv]);
    this.append({ t: 'snap', meta, data });
    // Compaction only after the snapshot is durable; keep a short tail for
    // followers that are just slightly behind.
    const alive = this.host;
    this.wal.sync(() => {
      if (!alive.alive || meta.index <= this.snapIndex) return;
      this.snapData = data;
      this.snapIndex = meta.index;
      this.core.compact(meta, meta.index - 5);
      this.observer.onEvent(this);
    });
  }

  private restoreSm(data: string): void {
    this.kv.clear();
    const parsed = JSON.parse(data) as Array<[string, string]> | Record<string, never>;
    if (Array.isArray(parsed)) for (const [k, v] of parsed) this.kv.set(k, v);
  }

  private send(m: Message): void {
    if (m.type === 'snap') {
      if (m.snapshot?.index !== this.snapIndex) {
        // Our durable snapshot bytes do not match what the core offers yet.
        this.core.reportSnapshot(m.to, false);
        return;
      }
      this.host.send(m.to, { m, snapData: this.snapData });
      // The simulated network gives no delivery report; assume success and
      // let the probe that follows discover a loss.
      this.core.reportSnapshot(m.to, true);
      return;
    }
    this.host.send(m.to, { m });
  }

  // ------------------------------------------------------------ client API

  put(key: string, value: string, cb: Callback<void>): void {
    const r = this.core.propose(enc.encode(JSON.stringify({ k: key, v: value })));
    if (!r.ok || !('index' in r)) {
      cb('notLeader');
      return;
    }
    this.pendingProps.set(r.index, { term: r.term, cb });
    this.observer.onEvent(this);
    this.pump();
  }

  /** A ReadIndex read; `lease` lets a leader with a valid lease skip the heartbeat round. */
  get(key: string, cb: Callback<string | null>, lease = false): void {
    const ctx = `${this.id}:${this.host.incarnation}:${++this.readSeq}`;
    if (lease && this.core.hasLease()) this.leaseReads++;
    if (!this.core.readIndex(ctx, lease)) {
      cb('notLeader');
      return;
    }
    this.pendingReads.set(ctx, { key, cb });
    this.pump();
  }

  proposeConf(cc: Parameters<RaftCore['proposeConfChange']>[0]): boolean {
    const ok = this.core.proposeConfChange(cc).ok;
    this.pump();
    return ok;
  }
}
