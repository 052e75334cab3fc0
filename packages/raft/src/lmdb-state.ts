import type { RootDatabase } from 'lmdb';
import type { Entry, HardState } from './types.js';

/** Stored entry: [term, kind (0 normal, 1 config), data]. */
type StoredEntry = [number, 0 | 1, Uint8Array];
type StableValue = HardState | number;

/**
 * The Raft log and hard state as kept in one LMDB environment, and the
 * write-ahead log checkpoint (the seq of the last WAL record whose effect is
 * in here). Writes are lmdb-js async writes: every write issued in one
 * event-loop turn lands in one transaction, in order; `flushed()` resolves
 * once they are on disk. Both storage modes write through this class; they
 * differ only in when they call `flushed()` (see lmdb-storage.ts).
 */
export class LmdbState {
  /** Highest log index written (to drop a replaced suffix). */
  private last: number;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly root: RootDatabase<unknown, string>,
    private readonly logDb: RootDatabase<StoredEntry, number>,
    private readonly stableDb: RootDatabase<StableValue, string>,
  ) {
    let last = 0;
    for (const key of logDb.getKeys({ reverse: true, limit: 1 })) last = key;
    this.last = last;
  }

  /** The stored entries after the last compaction, contiguous. */
  readEntries(): Entry[] {
    const out: Entry[] = [];
    for (const { key, value } of this.logDb.getRange({})) {
      out.push({
        index: key,
        term: value[0],
        kind: value[1] === 1 ? 'config' : 'normal',
        data: value[2],
      });
    }
    // Keep only the contiguous run; anything else is left over from a crash mid-compaction.
    let start = 0;
    for (let i = 1; i < out.length; i++) {
      if ((out[i]?.index ?? 0) !== (out[i - 1]?.index ?? 0) + 1) start = i;
    }
    return out.slice(start);
  }

  readHardState(): HardState | null {
    return (this.stableDb.get('hs') as HardState | undefined) ?? null;
  }

  readCheckpoint(): number {
    return (this.stableDb.get('walSeq') as number | undefined) ?? 0;
  }

  append(entries: readonly Entry[]): void {
    const first = entries[0];
    if (!first) return;
    for (const e of entries) {
      this.logDb.put(e.index, [e.term, e.kind === 'config' ? 1 : 0, e.data]);
    }
    const newLast = first.index + entries.length - 1;
    for (let i = newLast + 1; i <= this.last; i++) this.logDb.remove(i);
    this.last = newLast;
  }

  compact(index: number): void {
    for (const key of this.logDb.getKeys({ end: index + 1 })) this.logDb.remove(key);
  }

  clear(): void {
    for (const key of this.logDb.getKeys({})) this.logDb.remove(key);
    this.last = 0;
  }

  saveHardState(hardState: HardState): void {
    this.stableDb.put('hs', hardState);
  }

  saveCheckpoint(seq: number): void {
    this.stableDb.put('walSeq', seq);
  }

  /** Resolves once every write issued so far is durable. */
  async flushed(): Promise<void> {
    await this.root.flushed;
  }

  /** Flushes and closes the environment (once; later calls share the first). */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.root.flushed;
      await this.root.close();
    })();
    return this.closing;
  }
}
