/**
 * A cheap monotonic clock for deadlines. `performance.now()` costs 60–400 ns
 * on a busy machine, more than the rest of a dispatch, so the value is reused
 * for up to 64 reads within one event-loop turn and re-read in the next turn.
 * Its error is bounded by the synchronous work done in between (deadlines are
 * kept on a 5 ms wheel anyway). Same clock as @switchyard/stream's sessions.
 */
const REUSE = 64;
let cached = 0;
let reads = 0;
let invalidation: ReturnType<typeof setImmediate> | undefined;

function invalidate(): void {
  reads = 0;
  invalidation = undefined;
}

export function coarseNow(): number {
  if (reads > 0) {
    reads--;
    return cached;
  }
  return preciseNow();
}

/** Reads the real clock and refreshes the cache (timer callbacks use it). */
export function preciseNow(): number {
  cached = performance.now();
  reads = REUSE - 1;
  if (invalidation === undefined) {
    invalidation = setImmediate(invalidate);
    invalidation.unref?.();
  }
  return cached;
}
