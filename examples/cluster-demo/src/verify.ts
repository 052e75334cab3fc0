import {
  checkLinearizable,
  type KvInput,
  kvModel,
  type Operation,
  withoutUnseenPendingPuts,
} from '@switchyard/sim';

export type KvOp = Operation<KvInput<string>, unknown>;

export interface Verdict {
  /** 'ok', 'violation' or 'unknown' (the checker ran out of budget). */
  linearizable: 'ok' | 'violation' | 'unknown';
  message: string;
  /** Acknowledged puts whose effect the final reads show was lost. */
  lost: number;
  acknowledgedWrites: number;
}

/**
 * Two checks over the recorded history. The linearizability checker covers
 * everything; the lost-write count is the plain-language part: a put `w` that
 * was acknowledged is lost when the final read of its key returns the value of
 * a put that had already finished before `w` was even sent (or null), since
 * `w` must then have been ordered after it.
 */
export function verify(history: readonly KvOp[], finals: ReadonlyMap<string, unknown>): Verdict {
  const result = checkLinearizable(kvModel<string>(), withoutUnseenPendingPuts(history), {
    timeoutMs: 20_000,
    report: false,
  });
  const putOf = new Map<string, KvOp>();
  for (const op of history)
    if (op.input.op === 'put') putOf.set(`${op.input.key}\0${op.input.value}`, op);
  let lost = 0;
  let acknowledged = 0;
  for (const op of history) {
    if (op.input.op !== 'put' || op.return === undefined || op.return === null) continue;
    acknowledged++;
    const key = op.input.key;
    if (!finals.has(key)) continue;
    const final = finals.get(key);
    if (final === op.input.value) continue;
    const writer = final === null ? undefined : putOf.get(`${key}\0${String(final)}`);
    const writerDone =
      writer === undefined ? Number.NEGATIVE_INFINITY : (writer.return ?? Number.POSITIVE_INFINITY);
    if (writer === undefined || writerDone < op.call) lost++;
  }
  return {
    linearizable: result.result,
    message: result.result === 'ok' ? `linearizable (${result.partitions} keys)` : result.message,
    lost,
    acknowledgedWrites: acknowledged,
  };
}
