/**
 * Benchmarks for @switchyard/sim. Run: pnpm --filter @switchyard/sim bench
 * Prints a table, then one JSON line (the last line of output).
 */
import {
  checkLinearizable,
  HistoryRecorder,
  type KvInput,
  kvModel,
  type Model,
  Network,
  type Operation,
  Prng,
  Scheduler,
  Simulation,
} from '../src/index.js';

const REPS = Number(process.env.BENCH_REPS ?? 5);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timeIt(fn: () => number): { ms: number; units: number } {
  const ms: number[] = [];
  let units = fn(); // warm-up run (JIT), not timed
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    units = fn();
    ms.push(performance.now() - t0);
  }
  return { ms: median(ms), units };
}

/** Baseline: the bare scheduler, one timer re-arming itself. Returns events run. */
function schedulerOnly(events: number): number {
  const s = new Scheduler({ maxSteps: events * 2 });
  let left = events;
  const rng = new Prng(1);
  const tick = () => {
    if (--left > 0) s.setTimer(rng.int(0, 5), tick);
  };
  for (let i = 0; i < 100; i++) s.setTimer(i, tick);
  s.runAll();
  return s.steps;
}

/** 5 nodes; every delivery triggers a send to a random peer; 500 messages circulate. */
function storm(events: number, faults: boolean): number {
  const s = new Scheduler({ maxSteps: events * 3 });
  const rng = new Prng(2);
  const net = new Network<{ type: string; hop: number }>(s, rng.fork(), {
    defaults: faults
      ? { latency: { min: 1, max: 10 }, drop: 0.01, duplicate: 0.01, reorder: 0.05 }
      : { latency: { min: 1, max: 10 } },
  });
  const names = ['n1', 'n2', 'n3', 'n4', 'n5'];
  let budget = events;
  for (const n of names) {
    net.addNode(n, (m) => {
      if (--budget <= 0) return;
      let to = rng.pick(names);
      if (to === n) to = names[(names.indexOf(n) + 1) % names.length] as string;
      net.send(n, to, { type: 'gossip', hop: m.hop + 1 });
    });
  }
  for (let i = 0; i < 500; i++)
    net.send(names[i % 5] as string, names[(i + 1) % 5] as string, { type: 'gossip', hop: 0 });
  s.runUntil(() => budget <= 0 || s.pending === 0);
  return s.steps;
}

type KvMsg =
  | { type: 'req'; id: number; input: KvInput<number> }
  | { type: 'res'; id: number; output: unknown };

/** A linearizable KV history from a simulated single server and 10 clients. */
function kvHistory(
  ops: number,
  keys: number,
  seed: number,
): Array<Operation<KvInput<number>, unknown>> {
  const sim = new Simulation<KvMsg>({
    seed,
    network: { defaults: { latency: { min: 1, max: 20 } } },
  });
  const history = new HistoryRecorder<KvInput<number>, unknown>();
  sim.addNode('server', (h) => {
    const data = new Map<string, number>();
    h.onMessage((m, from) => {
      if (m.type !== 'req') return;
      const i = m.input;
      let out: unknown = 'ok';
      if (i.op === 'get') out = data.get(i.key) ?? null;
      else if (i.op === 'put') data.set(i.key, i.value);
      else if (i.op === 'delete') data.delete(i.key);
      else {
        const cur = data.get(i.key) ?? null;
        out = cur === i.expected;
        if (out) data.set(i.key, i.value);
      }
      h.send(from, { type: 'res', id: m.id, output: out });
    });
  });
  const clients = 10;
  let issued = 0;
  for (let c = 0; c < clients; c++) {
    sim.addNode(`c${c}`, (h) => {
      let pending: { id: number; op: number } | undefined;
      let nextId = 0;
      const issue = () => {
        if (issued >= ops) return;
        issued++;
        const key = `k${h.rng.int(0, keys - 1)}`;
        const x = h.rng.float();
        const input: KvInput<number> =
          x < 0.5
            ? { op: 'get', key }
            : x < 0.85
              ? { op: 'put', key, value: h.rng.int(0, 9) }
              : x < 0.95
                ? { op: 'cas', key, expected: h.rng.int(0, 9), value: h.rng.int(0, 9) }
                : { op: 'delete', key };
        const id = ++nextId;
        pending = { id, op: history.invoke(h.name, input, sim.now()) };
        h.send('server', { type: 'req', id, input });
      };
      h.onMessage((m) => {
        if (m.type !== 'res' || !pending || m.id !== pending.id) return;
        history.complete(pending.op, m.output, sim.now());
        pending = undefined;
        h.setTimer(h.rng.int(0, 5), issue);
      });
      h.setTimer(h.rng.int(0, 5), issue);
    });
  }
  sim.runUntil(() => issued >= ops && sim.scheduler.pending === 0);
  return history.operations();
}

/** The same KV semantics as one big state (no partitioning): shows what P-compositionality buys. */
function wholeMapModel(): Model<Record<string, number>, KvInput<number>, unknown> {
  const inner = kvModel<number>();
  return {
    init: () => ({}),
    step(state, input, output) {
      const cur = state[input.key] ?? null;
      const [ok, next] = inner.step(cur, input, output);
      if (!ok) return [false, state];
      if (next === cur) return [true, state];
      const copy = { ...state };
      if (next === null) delete copy[input.key];
      else copy[input.key] = next;
      return [true, copy];
    },
    hash: (s) => JSON.stringify(Object.entries(s).sort()),
  };
}

const results: Array<{ name: string; value: number; unit: string }> = [];
const rows: string[][] = [];
function record(name: string, value: number, unit: string, note = ''): void {
  results.push({ name, value: Math.round(value * 100) / 100, unit });
  rows.push([
    name,
    value >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2),
    unit,
    note,
  ]);
}

const EVENTS = Number(process.env.BENCH_EVENTS ?? 500_000);
const base = timeIt(() => schedulerOnly(EVENTS));
record('scheduler-only', (base.units / base.ms) * 1000, 'events/s', 'bare timer heap, baseline');
const st = timeIt(() => storm(EVENTS, false));
record('storm-5-nodes', (st.units / st.ms) * 1000, 'events/s', '5 nodes, 500 msgs circulating');
const stf = timeIt(() => storm(EVENTS, true));
record('storm-5-nodes-faults', (stf.units / stf.ms) * 1000, 'events/s', 'drop/dup/reorder on');

const h1k = kvHistory(1_000, 100, 11);
const h10k = kvHistory(10_000, 100, 12);
const c1 = timeIt(() => {
  const r = checkLinearizable(kvModel<number>(), h1k, { report: false });
  if (r.result !== 'ok') throw new Error(`1k: ${r.result}`);
  return 1;
});
record('check-kv-1k-100keys', c1.ms, 'ms', '10 clients, per-key partitions');
const c10 = timeIt(() => {
  const r = checkLinearizable(kvModel<number>(), h10k, { report: false });
  if (r.result !== 'ok') throw new Error(`10k: ${r.result}`);
  return 1;
});
record('check-kv-10k-100keys', c10.ms, 'ms', '10 clients, per-key partitions');
const hOne = kvHistory(1_000, 1, 13);
const c1k1 = timeIt(() => {
  const r = checkLinearizable(kvModel<number>(), hOne, { report: false, timeoutMs: 60_000 });
  if (r.result !== 'ok') throw new Error(`1 key: ${r.result}`);
  return 1;
});
record('check-kv-1k-1key', c1k1.ms, 'ms', 'one hot key: no partitioning help');
const cw = timeIt(() => {
  const r = checkLinearizable(wholeMapModel(), h1k, { report: false, timeoutMs: 30_000 });
  if (r.result !== 'ok') throw new Error(`whole-map 1k: ${r.result}`);
  return 1;
});
record('check-kv-1k-unpartitioned', cw.ms, 'ms', 'same 1k history, one state');

const widths = [0, 1, 2, 3].map((i) =>
  Math.max(...[['bench', 'value', 'unit', 'note'], ...rows].map((r) => (r[i] ?? '').length)),
);
const line = (r: string[]) =>
  r
    .map((c, i) => (i === 1 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
    .join('  ');
console.log(`@switchyard/sim bench (median of ${REPS}; Node ${process.version})`);
console.log(line(['bench', 'value', 'unit', 'note']));
for (const r of rows) console.log(line(r));
const v = (n: string) => results.find((r) => r.name === n)?.value ?? Number.NaN;
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
console.log(
  JSON.stringify({
    bench: 'sim/core',
    results,
    ratios: {
      'storm/scheduler-only': ratio(v('storm-5-nodes'), v('scheduler-only')),
      'storm-faults/storm': ratio(v('storm-5-nodes-faults'), v('storm-5-nodes')),
      'check-10k/check-1k': ratio(v('check-kv-10k-100keys'), v('check-kv-1k-100keys')),
      'unpartitioned/partitioned-1k': ratio(
        v('check-kv-1k-unpartitioned'),
        v('check-kv-1k-100keys'),
      ),
    },
  }),
);
