import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSnapshotStore } from './file-snapshot-store.js';
import { lmdbStorage } from './lmdb-storage.js';
import { MemoryLogStore } from './memory-storage.js';
import type { LogStore } from './storage.js';
import type { Entry } from './types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'raft-store-'));
  dirs.push(d);
  return d;
}
const e = (index: number, term: number, s = ''): Entry => ({
  index,
  term,
  kind: 'normal',
  data: new TextEncoder().encode(s),
});

/** Writes through `log()`, reopens, reads back through the (new) `log()`. */
async function logContract(log: () => LogStore, reopen: () => Promise<void>): Promise<void> {
  const reload = async () => {
    await reopen();
    return log().load();
  };
  log().append([e(1, 1), e(2, 1, 'b'), e(3, 1, 'c'), e(4, 1)]);
  await log().sync();
  // Overwrite from index 3: the old 4 must disappear.
  log().append([e(3, 2, 'x')]);
  await log().sync();
  let back = await reload();
  expect(back.map((x) => [x.index, x.term])).toEqual([
    [1, 1],
    [2, 1],
    [3, 2],
  ]);
  expect(new TextDecoder().decode(back[2]?.data)).toBe('x');
  log().compact(2);
  await log().sync();
  back = await reload();
  expect(back.map((x) => x.index)).toEqual([3]);
  log().clear();
  await log().sync();
  expect(await reload()).toEqual([]);
}

describe('log stores', () => {
  it('memory: append overwrites the suffix, compact and clear drop entries', async () => {
    const log = new MemoryLogStore();
    await logContract(
      () => log,
      async () => {},
    );
  });

  it('LMDB: the same contract, across reopening the environment', async () => {
    const dir = tmp();
    let storage = lmdbStorage({ dir });
    await logContract(
      () => storage.log,
      async () => {
        await storage.close();
        storage = lmdbStorage({ dir });
      },
    );
    storage.stable.save({ term: 3, vote: 'b', commit: 2 });
    await storage.stable.sync();
    await storage.close();
    storage = lmdbStorage({ dir });
    expect(await storage.stable.load()).toEqual({ term: 3, vote: 'b', commit: 2 });
    await storage.close();
  });
});

describe('FileSnapshotStore', () => {
  const conf = {
    voters: ['a'],
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
    autoLeave: false,
  };

  it('returns the newest snapshot and keeps only the newest two files', async () => {
    const dir = tmp();
    const store = new FileSnapshotStore(dir);
    expect(await store.latest()).toBeNull();
    for (const i of [5, 9, 12]) await store.save({ index: i, term: 1, conf }, new Uint8Array([i]));
    const latest = await store.latest();
    expect(latest?.meta.index).toBe(12);
    expect([...(latest?.data ?? [])]).toEqual([12]);
    expect(readdirSync(dir).sort()).toEqual(['snap-12-1.snap', 'snap-9-1.snap']);
  });

  it('ignores leftover temp files and falls back from an unreadable snapshot', async () => {
    const dir = tmp();
    const store = new FileSnapshotStore(dir);
    await store.save({ index: 3, term: 1, conf }, new Uint8Array([3]));
    writeFileSync(join(dir, 'snap-7-1.snap.tmp'), 'partial');
    writeFileSync(join(dir, 'snap-8-1.snap'), Buffer.from([255, 255, 255, 255, 1]));
    expect((await store.latest())?.meta.index).toBe(3);
  });
});
