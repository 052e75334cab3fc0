import { isPending, type Operation } from './history.js';
import type { KvInput } from './kv-model.js';
import { valueKey } from './value-equal.js';

/**
 * Drops the pending puts (no answer: they may or may not have happened) whose
 * value no completed get returned. When every put writes a value unique to
 * its key this changes no verdict of `checkLinearizable` with `kvModel`: if
 * such a put took effect, no read falls between it and the next write of its
 * key, so the same order without it is a linearization too; the other way, a
 * pending operation may always be left out. It matters for speed: each
 * pending put may take effect at any later point, so every one kept doubles
 * the search, and a leader failover leaves a hundred or more of them.
 */
export function withoutUnseenPendingPuts<V, O>(
  history: readonly Operation<KvInput<V>, O>[],
): Operation<KvInput<V>, O>[] {
  const seen = new Set<string>();
  for (const op of history) {
    if (op.input.op === 'get' && !isPending(op)) {
      seen.add(`${op.input.key}\0${valueKey(op.output)}`);
    }
  }
  return history.filter(
    (op) =>
      op.input.op !== 'put' ||
      !isPending(op) ||
      seen.has(`${op.input.key}\0${valueKey(op.input.value)}`),
  );
}
