/**
 * One operation of a concurrent history. `call` and `return` are timestamps
 * (any monotonic unit; virtual ms in a simulation). An operation without a
 * `return` (undefined, null or Infinity) is pending: its client never learned
 * the outcome, so it may or may not have taken effect, and its `output` is
 * ignored.
 */
export interface Operation<I = unknown, O = unknown> {
  client: string | number;
  call: number;
  return?: number | null | undefined;
  input: I;
  output?: O | undefined;
}

export function isPending(op: Operation): boolean {
  return op.return === undefined || op.return === null || op.return === Number.POSITIVE_INFINITY;
}

/** Checks the shape of a history; throws a TypeError naming the first bad operation. */
export function validateHistory(history: readonly Operation[]): void {
  if (!Array.isArray(history)) throw new TypeError('history must be an array of operations');
  for (let i = 0; i < history.length; i++) {
    const op = history[i];
    const where = `history[${i}]`;
    if (typeof op !== 'object' || op === null) throw new TypeError(`${where}: not an object`);
    if (typeof op.client !== 'string' && typeof op.client !== 'number') {
      throw new TypeError(`${where}: client must be a string or number`);
    }
    if (typeof op.call !== 'number' || !Number.isFinite(op.call)) {
      throw new TypeError(`${where}: call must be a finite number`);
    }
    if (!isPending(op)) {
      const r = op.return as number;
      if (typeof r !== 'number' || Number.isNaN(r))
        throw new TypeError(`${where}: return must be a number`);
      if (r < op.call) throw new TypeError(`${where}: return ${r} is before call ${op.call}`);
    }
  }
}

/**
 * Records a history as a test runs: `invoke` when a client sends a request,
 * `complete` when it gets the answer. Operations never completed stay
 * pending. Bounded by `maxOperations`.
 */
export class HistoryRecorder<I = unknown, O = unknown> {
  private readonly ops: Array<Operation<I, O>> = [];

  constructor(private readonly maxOperations = 1_000_000) {}

  /** Starts an operation; returns its id for `complete`. */
  invoke(client: string | number, input: I, time: number): number {
    if (this.ops.length >= this.maxOperations) {
      throw new RangeError(`history: more than ${this.maxOperations} operations`);
    }
    if (!Number.isFinite(time)) throw new RangeError('invoke: time must be finite');
    this.ops.push({ client, call: time, input });
    return this.ops.length - 1;
  }

  /** Records the outcome of operation `id`. */
  complete(id: number, output: O, time: number): void {
    const op = this.ops[id];
    if (!op) throw new RangeError(`complete: unknown operation id ${id}`);
    if (!isPending(op)) throw new Error(`complete: operation ${id} already completed`);
    if (!(time >= op.call))
      throw new RangeError(`complete: time ${time} is before call ${op.call}`);
    op.return = time;
    op.output = output;
  }

  get length(): number {
    return this.ops.length;
  }

  /** The operations so far (a copy). */
  operations(): Array<Operation<I, O>> {
    return this.ops.map((o) => ({ ...o }));
  }
}
