import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

  for (const durability of ['wal', 'lmdb'] as const) {
    it(`LMDB (durability '${durability}'): the same contract, across reopening`, async () => {
      const dir = tmp();
      const open = () => lmdbStorage({ dir, durability });
      let storage = open();
      await storage.log.load();
      await logContract(
        () => storage.log,
        async () => {
          await storage.close();
          storage = open();
        },
      );
      storage.stable.save({ term: 3, vote: 'b', commit: 2 });
      await storage.stable.sync();
      await storage.close();
      storage = open();
      expect(await storage.stable.load()).toEqual({ term: 3, vote: 'b', commit: 2 });
      await storage.close();
    });
  }
});

describe('LMDB fronted by the write-ahead log', () => {
  const here = dirname(fileURLToPath(import.meta.url));

  /** Runs the crash writer until it has synced past `atLeast`, SIGKILLs it, returns its last report. */
  async function killWriter(dir: string, checkpointMs: number, atLeast: number) {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(here, '../test/storage-crash-writer.ts'),
        JSON.stringify({ dir, checkpointMs }),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString();
    });
    const last = await new Promise<{ index: number; term: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`writer stalled: ${err}`)), 20_000);
      child.stdout.on('data', (b: Buffer) => {
        out += b.toString();
        const lines = out.trim().split('\n');
        const m = /^synced (\d+) (\d+)$/.exec(lines.at(-1) ?? '');
        if (m && Number(m[1]) >= atLeast) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve({ index: Number(m[1]), term: Number(m[2]) });
        }
      });
      child.on('exit', () => clearTimeout(timer));
    });
    await new Promise((r) => child.once('exit', r));
    // What it printed after `last` was synced too: take the newest report.
    const reports = out
      .trim()
      .split('\n')
      .map((l) => /^synced (\d+) (\d+)$/.exec(l))
      .filter((m) => m);
    const newest = reports.at(-1) as RegExpExecArray;
    return {
      index: Math.max(last.index, Number(newest[1])),
      term: Math.max(last.term, Number(newest[2])),
    };
  }

  async function expectRecovered(dir: string, synced: { index: number; term: number }) {
    const storage = lmdbStorage({ dir });
    const entries = await storage.log.load();
    const hs = await storage.stable.load();
    await storage.close();
    // Everything synced is back (more may be: a batch can land before its report).
    expect(entries.length).toBeGreaterThanOrEqual(synced.index);
    entries.forEach((e, i) => {
      expect(e.index).toBe(i + 1);
      expect(new TextDecoder().decode(e.data)).toBe(`entry ${i + 1}`);
    });
    expect(hs?.term ?? 0).toBeGreaterThanOrEqual(synced.term);
    return entries.length;
  }

  it('a SIGKILLed writer loses nothing it synced: WAL only, no checkpoint reached LMDB', async () => {
    const dir = tmp();
    const synced = await killWriter(dir, 3_600_000, 300);
    const recovered = await expectRecovered(dir, synced);
    // Recovery moved everything into LMDB; a second restart sees the same log.
    expect(await expectRecovered(dir, synced)).toBe(recovered);
  }, 30_000);

  it('a SIGKILLed writer loses nothing it synced: checkpoints every 5 ms, restarted twice', async () => {
    const dir = tmp();
    const first = await killWriter(dir, 5, 500);
    await expectRecovered(dir, first);
    // The writer resumes from the recovered log, and is killed again.
    const second = await killWriter(dir, 5, first.index + 500);
    await expectRecovered(dir, second);
    // Checkpoints released old segments: the WAL holds only recent ones.
    expect(readdirSync(join(dir, 'wal')).filter((n) => n.endsWith('.wal')).length).toBeLessThan(6);
  }, 30_000);

  it('a torn WAL tail after a crash recovers a clean prefix of the log', async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 1_000_000);
    console.log(`storage torn tail: SEED=${seed}`);
    const dir = tmp();
    await killWriter(dir, 3_600_000, 200);
    // Power loss: the newest segment keeps only a prefix of what was written.
    const wal = join(dir, 'wal');
    const newest = readdirSync(wal)
      .filter((n) => n.endsWith('.wal'))
      .sort()
      .at(-1) as string;
    const size = statSync(join(wal, newest)).size;
    const cut = Math.floor((((seed * 7919) % 1000) / 1000) * size);
    truncateSync(join(wal, newest), cut);
    const first = await expectRecovered(dir, { index: 0, term: 0 });
    // Whatever survived is durable from now on: a second restart agrees.
    expect(await expectRecovered(dir, { index: 0, term: 0 }), `SEED=${seed}`).toBe(first);
  }, 30_000);

  it('bounded: when LMDB falls behind by maxPendingBytes, sync() waits for a checkpoint', async () => {
    const dir = tmp();
    const storage = lmdbStorage({
      dir,
      wal: {
        checkpointMs: 3_600_000,
        checkpointBytes: 1 << 30,
        maxPendingBytes: 4096,
        segmentBytes: 4096,
      },
    });
    await storage.log.load();
    for (let i = 1; i <= 200; i++) {
      storage.log.append([e(i, 1, 'x'.repeat(100))]);
      await storage.log.sync();
    }
    // Without the bound nothing would be checkpointed (the timer is an hour):
    // every segment would still be on disk, 200 × 116 B ≈ 6 segments.
    expect(
      readdirSync(join(dir, 'wal')).filter((n) => n.endsWith('.wal')).length,
    ).toBeLessThanOrEqual(3);
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
