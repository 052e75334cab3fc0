import { isPending, type Operation, validateHistory } from './history.js';
import { writeHistoryReport } from './history-report.js';
import type { Model } from './model.js';

export interface CheckOptions {
  /** Wall-clock budget for the whole check, ms; past it the answer is 'unknown'. Default 10,000. */
  timeoutMs?: number;
  /** Most memoized (linearized set, state) pairs per partition; past it, 'unknown'. Default 2,000,000. */
  maxCacheEntries?: number;
  /**
   * On a violation, write an HTML/SVG timeline: true (default) writes to the
   * OS temp dir, a string names the directory, false writes nothing.
   */
  report?: boolean | string;
  /** Title for the report (e.g. the test name and seed). */
  title?: string;
}

/** One step of a linearization: the operation (index into the history) and the state after it. */
export interface LinearizedStep {
  index: number;
  stateAfter: string;
}

export type CheckResult =
  | { result: 'ok'; partitions: number }
  | {
      result: 'violation';
      partitions: number;
      /** Partition key of the part that failed (undefined when the model has no partition). */
      partition: string | undefined;
      /** Indexes (into the history) of the operations in the failing part. */
      operations: number[];
      /** The longest linearizable prefix found in that part, in linearization order. */
      prefix: LinearizedStep[];
      /** History index of the operation that could not be placed after that prefix. */
      failing: number;
      /** Human-readable summary. */
      message: string;
      /** Path of the HTML report, if one was written. */
      reportPath?: string;
    }
  | { result: 'unknown'; partitions: number; reason: 'timeout' | 'memory'; message: string };

type PartOutcome =
  | { kind: 'ok' }
  | { kind: 'violation'; prefix: LinearizedStep[]; failing: number }
  | { kind: 'unknown'; reason: 'timeout' | 'memory' };

interface CacheEntry<S> {
  bits: Uint32Array;
  state: S;
  stateHash: string | number;
}

/** 32-bit hash of a state hash (number or string), for the memo table's numeric keys. */
function mixHash(h: string | number): number {
  if (typeof h === 'number' && Number.isInteger(h)) {
    let x = (h ^ (h / 4294967296)) | 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
    return (x ^ (x >>> 16)) >>> 0;
  }
  const s = String(h);
  let x = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 0x01000193);
  return x >>> 0;
}

/**
 * Checks that a history is linearizable with respect to a model.
 *
 * The search is Wing & Gong's, with Lowe's memoization of (set of linearized
 * operations, model state) pairs already explored, as popularised by
 * Porcupine; histories are first split with `model.partition` so each part is
 * searched on its own. Pending operations may be linearized anywhere after
 * their call, or never (equivalently: at the very end).
 */
export function checkLinearizable<S, I, O>(
  model: Model<S, I, O>,
  history: ReadonlyArray<Operation<I, O>>,
  options: CheckOptions = {},
): CheckResult {
  validateHistory(history);
  const timeoutMs = options.timeoutMs ?? 10_000;
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`);
  const maxCache = options.maxCacheEntries ?? 2_000_000;
  const deadline = performance.now() + timeoutMs;

  const parts = new Map<string, number[]>();
  for (let i = 0; i < history.length; i++) {
    const key = model.partition ? model.partition((history[i] as Operation<I, O>).input) : '';
    let p = parts.get(key);
    if (!p) {
      p = [];
      parts.set(key, p);
    }
    p.push(i);
  }
  const keys = [...parts.keys()].sort();
  let unknown: 'timeout' | 'memory' | undefined;
  for (const key of keys) {
    const idx = parts.get(key) as number[];
    const out = checkPart(model, history, idx, deadline, maxCache);
    if (out.kind === 'violation') {
      const partition = model.partition ? key : undefined;
      const failingOp = history[out.failing] as Operation<I, O>;
      const what = model.describe
        ? model.describe(failingOp.input, isPending(failingOp) ? undefined : failingOp.output)
        : JSON.stringify(failingOp.input);
      const message =
        `not linearizable${partition === undefined ? '' : ` (partition ${JSON.stringify(partition)})`}: ` +
        `after a linearizable prefix of ${out.prefix.length} of ${idx.length} operations, ` +
        `no order admits operation #${out.failing} (client ${String(failingOp.client)}: ${what})`;
      const result: CheckResult = {
        result: 'violation',
        partitions: keys.length,
        partition,
        operations: idx,
        prefix: out.prefix,
        failing: out.failing,
        message,
      };
      if (options.report !== false) {
        result.reportPath = writeHistoryReport(
          {
            title: options.title ?? 'Linearizability violation',
            message,
            model: model as Model<unknown, unknown, unknown>,
            history: history as ReadonlyArray<Operation>,
            operations: idx,
            prefix: out.prefix,
            failing: out.failing,
          },
          typeof options.report === 'string' ? options.report : undefined,
        );
      }
      return result;
    }
    if (out.kind === 'unknown') {
      unknown = out.reason;
      if (out.reason === 'timeout') break;
    }
  }
  if (unknown) {
    return {
      result: 'unknown',
      partitions: keys.length,
      reason: unknown,
      message:
        unknown === 'timeout'
          ? `gave up after ${timeoutMs} ms without finding a violation`
          : `gave up past ${maxCache} memoized states without finding a violation`,
    };
  }
  return { result: 'ok', partitions: keys.length };
}

function checkPart<S, I, O>(
  model: Model<S, I, O>,
  history: ReadonlyArray<Operation<I, O>>,
  idx: number[],
  deadline: number,
  maxCache: number,
): PartOutcome {
  const n = idx.length;
  if (n === 0) return { kind: 'ok' };
  // Entries 0..n-1 are calls, n..2n-1 the matching returns; 2n is the list head.
  const time = new Float64Array(2 * n);
  for (let j = 0; j < n; j++) {
    const op = history[idx[j] as number] as Operation<I, O>;
    time[j] = op.call;
    time[n + j] = isPending(op) ? Number.POSITIVE_INFINITY : (op.return as number);
  }
  const order = Array.from({ length: 2 * n }, (_, e) => e);
  // At equal times calls go first, so touching operations count as concurrent
  // (the generous reading: no false alarms from coarse clocks).
  order.sort((a, b) => {
    const ta = time[a] as number;
    const tb = time[b] as number;
    if (ta !== tb) return ta - tb;
    const ca = a < n ? 0 : 1;
    const cb = b < n ? 0 : 1;
    return ca !== cb ? ca - cb : a - b;
  });
  const HEAD = 2 * n;
  const next = new Int32Array(2 * n + 1).fill(-1);
  const prev = new Int32Array(2 * n + 1).fill(-1);
  let last = HEAD;
  for (const e of order) {
    next[last] = e;
    prev[e] = last;
    last = e;
  }
  const unlink = (e: number) => {
    const p = prev[e] as number;
    const nx = next[e] as number;
    next[p] = nx;
    if (nx >= 0) prev[nx] = p;
  };
  const relink = (e: number) => {
    const p = prev[e] as number;
    const nx = next[e] as number;
    next[p] = e;
    if (nx >= 0) prev[nx] = e;
  };

  const inputs = idx.map((i) => (history[i] as Operation<I, O>).input);
  const outputs = idx.map((i) => {
    const op = history[i] as Operation<I, O>;
    return isPending(op) ? undefined : op.output;
  });
  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  // Zobrist hashing: the set's hash is the XOR of per-operation random words,
  // updated in O(1) as operations are linearized and undone.
  const zob = new Uint32Array(n);
  let z = 0x9e3779b9;
  for (let j = 0; j < n; j++) {
    z ^= z << 13;
    z ^= z >>> 17;
    z ^= z << 5;
    zob[j] = z >>> 0;
  }
  let setHash = 0;
  const hashState = model.hash ?? ((s: S) => JSON.stringify(s) ?? 'undefined');
  const equal = model.equal;
  // Keyed by a 32-bit mix of the set and state hashes; a bucket holds the (rare) collisions.
  const cache = new Map<number, Array<CacheEntry<S>>>();
  let cacheSize = 0;

  let state = model.init();
  const stackOp: number[] = [];
  const stackState: S[] = [];
  // Whether each step was a read-only operation (see Model.readOnly): such a step never needs to
  // be retried in another position, see the backtracking below.
  const stackForced: boolean[] = [];
  const readOnly = idx.map((i) => {
    const op = history[i] as Operation<I, O>;
    return model.readOnly ? model.readOnly(op.input, isPending(op) ? undefined : op.output) : false;
  });
  let bestOps: number[] = [];
  let bestStates: S[] = [];
  let failing = -1;
  const describeState = model.describeState ?? ((s: S) => JSON.stringify(s) ?? 'undefined');

  let entry = next[HEAD] as number;
  let iter = 0;
  while (next[HEAD] !== -1) {
    if ((++iter & 1023) === 0 && performance.now() > deadline)
      return { kind: 'unknown', reason: 'timeout' };
    if (entry < n) {
      const j = entry;
      const [ok, ns] = model.step(state, inputs[j] as I, outputs[j]);
      let advanced = false;
      if (ok) {
        const w = j >>> 5;
        const bit = 1 << (j & 31);
        bits[w] = (bits[w] as number) | bit;
        const h = (setHash ^ (zob[j] as number)) >>> 0;
        const sh = hashState(ns);
        const key = (h ^ mixHash(sh)) >>> 0;
        let bucket = cache.get(key);
        let seen = false;
        if (bucket) {
          for (const c of bucket) {
            if (c.stateHash === sh && sameBits(c.bits, bits) && (!equal || equal(c.state, ns))) {
              seen = true;
              break;
            }
          }
        }
        if (!seen) {
          if (cacheSize >= maxCache) return { kind: 'unknown', reason: 'memory' };
          if (!bucket) {
            bucket = [];
            cache.set(key, bucket);
          }
          bucket.push({ bits: bits.slice(), state: ns, stateHash: sh });
          cacheSize++;
          stackOp.push(j);
          stackState.push(state);
          stackForced.push(readOnly[j] as boolean);
          state = ns;
          setHash = h;
          unlink(j);
          unlink(n + j);
          advanced = true;
          if (stackOp.length > bestOps.length) {
            // Copy only indexes and state references; describe them once at the end.
            bestOps = stackOp.slice();
            bestStates = stackState.slice(1);
            bestStates.push(state);
            failing = -1;
          }
          entry = next[HEAD] as number;
        } else {
          bits[w] = (bits[w] as number) & ~bit;
        }
      }
      if (!advanced) entry = next[entry] as number;
    } else {
      // A return: its operation had to be linearized by now and was not. Backtrack.
      if (stackOp.length === bestOps.length && failing < 0) failing = idx[entry - n] as number;
      let j: number;
      for (;;) {
        if (stackOp.length === 0) {
          const prefix = bestOps.map((o, k) => ({
            index: idx[o] as number,
            stateAfter: describeState(bestStates[k] as S),
          }));
          return { kind: 'violation', prefix, failing };
        }
        j = stackOp.pop() as number;
        state = stackState.pop() as S;
        const forced = stackForced.pop() as boolean;
        setHash = (setHash ^ (zob[j] as number)) >>> 0;
        bits[j >>> 5] = (bits[j >>> 5] as number) & ~(1 << (j & 31));
        relink(n + j);
        relink(j);
        // A read-only step (identity wherever it is valid) that was valid here could open any
        // successful order from its parent configuration: moving it to the front breaks no
        // real-time constraint (it was minimal) and changes no later step. So if everything
        // after it failed, the parent configuration fails too: keep backtracking.
        if (!forced) break;
      }
      entry = next[j] as number;
    }
  }
  return { kind: 'ok' };
}

function sameBits(a: Uint32Array, b: Uint32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
