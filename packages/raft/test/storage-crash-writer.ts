/**
 * Child process for storage.test.ts: appends entries to lmdbStorage in
 * batches, printing `synced <lastIndex> <term>` after each sync resolves,
 * until it is SIGKILLed. Argument: JSON {dir, checkpointMs}.
 */
import { lmdbStorage } from '../src/lmdb-storage.js';

const { dir, checkpointMs } = JSON.parse(process.argv[2] ?? '{}') as {
  dir: string;
  checkpointMs: number;
};
const storage = lmdbStorage({
  dir,
  wal: { checkpointMs, segmentBytes: 64 * 1024 },
});
let last = (await storage.log.load()).at(-1)?.index ?? 0;
const hs = await storage.stable.load();
let term = hs?.term ?? 0;
for (;;) {
  term++;
  const batch = Array.from({ length: 1 + (last % 7) }, (_, i) => ({
    index: last + 1 + i,
    term,
    kind: 'normal' as const,
    data: new TextEncoder().encode(`entry ${last + 1 + i}`),
  }));
  storage.log.append(batch);
  storage.stable.save({ term, vote: 'a', commit: last });
  await Promise.all([storage.log.sync(), storage.stable.sync()]);
  last += batch.length;
  process.stdout.write(`synced ${last} ${term}\n`);
  await new Promise((r) => setTimeout(r, 1));
}
