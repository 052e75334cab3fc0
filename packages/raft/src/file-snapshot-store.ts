import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { SnapshotStore, StoredSnapshot } from './storage.js';
import { syncDir } from './sync-dir.js';
import type { SnapshotMeta } from './types.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * Snapshots as files: `snap-<index>-<term>.snap` holding a length-prefixed
 * JSON header (the metadata) and the state machine bytes. Written to a temp
 * file, fsynced, renamed and the directory fsynced, so a crash leaves either
 * the old snapshot or the new one, never a torn file. Keeps the newest `retain`.
 */
export class FileSnapshotStore implements SnapshotStore {
  constructor(
    readonly dir: string,
    private readonly retain = 2,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  private files(): { name: string; index: number }[] {
    return readdirSync(this.dir)
      .map((name) => {
        const m = /^snap-(\d+)-(\d+)\.snap$/.exec(name);
        return m ? { name, index: Number(m[1]) } : null;
      })
      .filter((x): x is { name: string; index: number } => x !== null)
      .sort((a, b) => b.index - a.index);
  }

  async latest(): Promise<StoredSnapshot | null> {
    for (const f of this.files()) {
      try {
        const buf = readFileSync(join(this.dir, f.name));
        const len = buf.readUInt32LE(0);
        const meta = JSON.parse(dec.decode(buf.subarray(4, 4 + len))) as SnapshotMeta;
        return { meta, data: new Uint8Array(buf.subarray(4 + len)) };
      } catch {
        // An unreadable file (should not happen with rename) falls back to an older one.
      }
    }
    return null;
  }

  async save(meta: SnapshotMeta, data: Uint8Array): Promise<void> {
    const header = enc.encode(JSON.stringify(meta));
    const len = Buffer.alloc(4);
    len.writeUInt32LE(header.length, 0);
    const name = `snap-${meta.index}-${meta.term}.snap`;
    const tmp = join(this.dir, `${name}.tmp`);
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, len);
      writeSync(fd, header);
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, join(this.dir, name));
    syncDir(this.dir);
    for (const old of this.files().slice(this.retain)) unlinkSync(join(this.dir, old.name));
  }

  async close(): Promise<void> {}
}
