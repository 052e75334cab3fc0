/**
 * The gossip report, from the simulator (virtual time, so figures are
 * independent of this machine's speed; only the run time is not).
 *
 *   pnpm --filter @switchyard/gossip bench     n = 10 and 100 (BENCH_QUICK=1: fewer trials)
 *   BENCH_SIZES=10,100,1000 pnpm --filter @switchyard/gossip bench    adds n = 1,000 (slow)
 *   BENCH_STARVE_MINUTES=N   simulated minutes per Lifeguard on/off run, moderate starvation (default 360)
 *   BENCH_STARVE_SEVERE_MINUTES=N   the same for severe starvation (default 20)
 *   BENCH_LOSSES=0,0.1       loss rates (default 0, 0.1, 0.3)
 *   BENCH_CRASHES=N          crashes per cell at n ≤ 100 (default 40; 3 at n = 1,000)
 *
 * For n = 10/100/1,000 at 0/10/30% loss: time (and gossip rounds) for a user
 * broadcast to reach every member, time for a crashed member to be declared
 * dead by every member (split into: until the first suspicion, the suspicion
 * itself, spreading the verdict), UDP packets per member per second; then
 * false deaths per simulated hour with one CPU-starved member, Lifeguard on
 * vs off.
 * Prints a table, then one JSON line.
 */
import { SimCluster, type StarvationModel } from '../test/sim-cluster.js';

const quick = process.env.BENCH_QUICK === '1';
const seed = Number(process.env.SEED ?? 20_261_125);
console.log(`gossip/sim bench  SEED=${seed}  profile=lan${quick ? '  (quick)' : ''}`);

interface Result {
  name: string;
  value: number;
  unit: string;
}
const results: Result[] = [];
const rows: string[][] = [];

function pct(xs: number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
}
const r2 = (x: number): number => Math.round(x * 100) / 100;
const pad = (s: string, w: number): string => s.padEnd(w);

// n = 1,000 takes many minutes of wall time on a shared 2-core machine, so the
// default run stops at 100; BENCH_SIZES=10,100,1000 gives the full table.
const sizes = process.env.BENCH_SIZES ? process.env.BENCH_SIZES.split(',').map(Number) : [10, 100];
const loadByN = new Map<number, number>();
for (const n of sizes) {
  const wall0 = performance.now();
  // Large clusters join at 50 members/s (a storm of simultaneous joins settles slowly).
  const c = SimCluster.build(n, { seed: seed + n }, n >= 500 ? 20 : 0);
  if (!c.runUntil(() => c.converged(), 180_000, 500)) throw new Error(`n=${n} did not converge`);
  let crashes = 0;
  const losses = process.env.BENCH_LOSSES
    ? process.env.BENCH_LOSSES.split(',').map(Number)
    : [0, 0.1, 0.3];
  for (const loss of losses) {
    c.setLoss(loss);
    c.runFor(n >= 1_000 ? 2_000 : 5_000);
    // Load: UDP packets per member per second over a quiet window.
    const u0 = c.udpSent;
    const window = n >= 1_000 ? 5_000 : 10_000;
    c.runFor(window);
    const perMember = (c.udpSent - u0) / c.upNodes().length / (window / 1_000);
    if (loss === 0.1) loadByN.set(n, perMember);

    // Dissemination of a user broadcast.
    const dis: number[] = [];
    const trials = n >= 1_000 ? 3 : quick ? 10 : 20;
    let got = new Set<string>();
    c.listeners.length = 0;
    c.listeners.push((node, e) => {
      if (e.type === 'message') got.add(node.name);
    });
    for (let t = 0; t < trials; t++) {
      got = new Set();
      const up = c.upNodes();
      const origin = up[c.rng.int(0, up.length - 1)]!;
      got.add(origin.name);
      const start = c.now();
      c.node(origin.name).core.broadcast(start, new Uint8Array([t]));
      const need = up.length;
      c.runUntil(() => got.size >= need, 30_000, 10);
      dis.push(got.size >= need ? (c.now() - start) / 1_000 : Number.POSITIVE_INFINITY);
      c.runFor(2_000);
    }
    c.listeners.length = 0;

    // Crash detection: dead in every member's view, and where the time goes.
    const dead: number[] = [];
    const toSuspect: number[] = [];
    const suspected: number[] = [];
    const spread: number[] = [];
    const dtrials = n >= 1_000 ? 3 : quick ? 10 : Number(process.env.BENCH_CRASHES ?? 40);
    let victim = '';
    let firstSuspect = -1;
    let firstVerdict = -1;
    c.listeners.push((node, e) => {
      if (e.type === 'message' || e.member.name !== victim) return;
      if (e.type === 'suspect' && firstSuspect < 0) firstSuspect = c.now();
      if (e.type === 'dead' && e.from === node.name && firstVerdict < 0) firstVerdict = c.now();
    });
    for (let t = 0; t < dtrials; t++) {
      const up = c.upNodes().filter((x) => x.name !== 'n0');
      victim = up[c.rng.int(0, up.length - 1)]!.name;
      firstSuspect = firstVerdict = -1;
      const start = c.now();
      c.crash(victim);
      crashes++;
      const ok = c.runUntil(() => c.agrees({ [victim]: 'dead' }), 120_000, 50);
      dead.push(ok ? (c.now() - start) / 1_000 : Number.POSITIVE_INFINITY);
      if (ok && firstSuspect >= 0 && firstVerdict >= 0) {
        toSuspect.push((firstSuspect - start) / 1_000);
        suspected.push((firstVerdict - firstSuspect) / 1_000);
        spread.push((c.now() - firstVerdict) / 1_000);
      }
      // Bring it back (a restart with a fresh incarnation) so the cluster keeps its
      // size; at n = 1,000 a few crashed members out of 1,000 do not matter.
      if (n < 1_000) {
        c.add(victim, ['n0']);
        c.runUntil(() => c.converged(), 20_000, 200);
      }
    }
    c.listeners.length = 0;
    const gi = c.config.gossipIntervalMs / 1_000;
    const tag = `n${n}-loss${loss * 100}`;
    // User broadcasts are best effort: a trial where some member never got it
    // is counted separately instead of poisoning the percentiles.
    const done = dis.filter(Number.isFinite);
    const incomplete = dis.length - done.length;
    const d50 = pct(done, 50);
    const d99 = pct(done, 99);
    const x50 = pct(dead, 50);
    const x99 = pct(dead, 99);
    results.push(
      { name: `${tag}-disseminate-p50-s`, value: r2(d50), unit: 's' },
      { name: `${tag}-disseminate-p99-s`, value: r2(d99), unit: 's' },
      { name: `${tag}-disseminate-p99-rounds`, value: r2(d99 / gi), unit: 'rounds' },
      { name: `${tag}-disseminate-incomplete`, value: incomplete, unit: `of ${dis.length}` },
      { name: `${tag}-dead-everywhere-p50-s`, value: r2(x50), unit: 's' },
      { name: `${tag}-dead-everywhere-p99-s`, value: r2(x99), unit: 's' },
      { name: `${tag}-dead-first-suspicion-p50-s`, value: r2(pct(toSuspect, 50)), unit: 's' },
      { name: `${tag}-dead-first-suspicion-p99-s`, value: r2(pct(toSuspect, 99)), unit: 's' },
      { name: `${tag}-dead-suspicion-p50-s`, value: r2(pct(suspected, 50)), unit: 's' },
      { name: `${tag}-dead-suspicion-p99-s`, value: r2(pct(suspected, 99)), unit: 's' },
      { name: `${tag}-dead-spread-p50-s`, value: r2(pct(spread, 50)), unit: 's' },
      { name: `${tag}-dead-spread-p99-s`, value: r2(pct(spread, 99)), unit: 's' },
      { name: `${tag}-msgs-per-member-per-s`, value: r2(perMember), unit: 'packets/s' },
    );
    const row = [
      String(n),
      `${loss * 100}%`,
      `${r2(d50)} / ${r2(d99)}${incomplete > 0 ? ` (${incomplete} missed)` : ''}`,
      `${r2(d50 / gi)} / ${r2(d99 / gi)}`,
      `${r2(x50)} / ${r2(x99)}`,
      `${r2(pct(toSuspect, 50))}/${r2(pct(toSuspect, 99))} + ${r2(pct(suspected, 50))}/${r2(pct(suspected, 99))} + ${r2(pct(spread, 50))}/${r2(pct(spread, 99))}`,
      r2(perMember).toFixed(2),
    ];
    rows.push(row);
    console.log(`  ${row.join('  ')}`);
  }
  console.log(
    `  n=${n} done (${crashes} crashes) in ${((performance.now() - wall0) / 1_000).toFixed(1)} s wall`,
  );
}

// False deaths with one CPU-starved member (see StarvationModel): its event
// loop stalls about a third of the time (mean 600 ms, at most 2 s, about every
// second), and between stalls every inbound packet costs 150 ms of CPU, one at
// a time, behind a bounded socket buffer. "Moderate" (≤ 2 s queued) keeps the
// member's worst silence (~4 s) under the suspicion minimum (5 s at n = 100):
// a slow member, not a dead one. "Severe" (≤ 2.5 s queued) brings it to the
// edge, where no detector can tell it from a dead member; it shows what
// Lifeguard still protects then (the healthy members). A false death is one
// (member, incarnation) declared dead, however many members declared it.
// Classic SWIM kills a healthy member a few times per hour here, so the
// moderate runs are long (6 simulated hours each, ~13 minutes of wall time)
// to count enough of them for a ≥ 10× comparison against zero.
const starveModels: Array<{ label: string; minutes: number; model: StarvationModel }> = [
  {
    label: 'moderate',
    minutes: Number(process.env.BENCH_STARVE_MINUTES ?? (quick ? 5 : 360)),
    model: {
      gapMeanMs: 1_000,
      stallMeanMs: 600,
      stallMaxMs: 2_000,
      packetCostMs: 150,
      maxBacklogMs: 2_000,
    },
  },
  {
    label: 'severe',
    minutes: Number(process.env.BENCH_STARVE_SEVERE_MINUTES ?? (quick ? 0 : 20)),
    model: {
      gapMeanMs: 1_000,
      stallMeanMs: 600,
      stallMaxMs: 2_000,
      packetCostMs: 150,
      maxBacklogMs: 2_500,
    },
  },
];
interface Starved {
  healthy: number;
  starved: number;
}
const starvedRows: string[] = [];
const fd: Record<string, Starved> = {};
for (const { label, minutes, model } of starveModels) {
  if (minutes <= 0) continue;
  for (const lifeguard of [true, false]) {
    const c = SimCluster.build(100, { seed: seed + 7, loss: 0.1, overrides: { lifeguard } });
    c.runUntil(() => c.converged(), 60_000, 500);
    const healthy = new Set<string>();
    const starved = new Set<string>();
    c.listeners.push((node, e) => {
      if (e.type !== 'dead' || e.from !== node.name) return;
      const key = `${e.member.name}@${e.member.incarnation}`;
      (e.member.name === 'n7' ? starved : healthy).add(key);
    });
    c.starve('n7', model);
    c.runFor(minutes * 60_000);
    const perHour = (x: number): number => r2((x * 60) / minutes);
    fd[`${label}-${lifeguard ? 'on' : 'off'}`] = {
      healthy: perHour(healthy.size),
      starved: perHour(starved.size),
    };
    const row = `${pad(label, 10)}${pad(lifeguard ? 'on' : 'off', 11)}${pad(String(minutes), 9)}${pad(String(healthy.size), 10)}${pad(String(starved.size), 10)}${perHour(healthy.size + starved.size)}`;
    starvedRows.push(row);
    console.log(`  ${row}`);
  }
}
const moderateMinutes = starveModels[0]!.minutes;
const on = fd['moderate-on'];
const off = fd['moderate-off'];
const total = (x: Starved | undefined): number =>
  x === undefined ? Number.NaN : x.healthy + x.starved;
if (on !== undefined && off !== undefined) {
  results.push(
    { name: 'n100-loss10-false-deaths-per-hour', value: r2(total(on)), unit: 'deaths/h' },
    {
      name: 'n100-loss10-false-deaths-per-hour-lifeguard-off',
      value: r2(total(off)),
      unit: 'deaths/h',
    },
  );
}
for (const [k, v] of Object.entries(fd)) {
  results.push(
    { name: `n100-loss10-starve-${k}-healthy-deaths-per-hour`, value: v.healthy, unit: 'deaths/h' },
    { name: `n100-loss10-starve-${k}-starved-deaths-per-hour`, value: v.starved, unit: 'deaths/h' },
  );
}
// With none at all when Lifeguard is on, the honest ratio is a lower bound: at
// most one death in the observed time would still give off ÷ that.
const offCount = (total(off) * moderateMinutes) / 60;
const onCount = (total(on) * moderateMinutes) / 60;
const ratioText =
  onCount > 0
    ? `${r2(offCount / onCount)}× fewer with Lifeguard`
    : `0 with Lifeguard vs ${r2(offCount)} without in ${moderateMinutes} simulated min each: ≥ ${r2(offCount)}× fewer (bound: "fewer than 1" on)`;

console.log(
  `\n${pad('n', 6)}${pad('loss', 6)}${pad('disseminate p50/p99 s', 24)}${pad('rounds p50/p99', 18)}${pad('dead everywhere p50/p99 s', 28)}${pad('= to suspicion + suspicion + spread (p50/p99 s)', 50)}pkts/member/s`,
);
for (const r of rows) {
  console.log(
    `${pad(r[0]!, 6)}${pad(r[1]!, 6)}${pad(r[2]!, 24)}${pad(r[3]!, 18)}${pad(r[4]!, 28)}${pad(r[5]!, 50)}${r[6]}`,
  );
}
console.log(
  `\nfalse deaths, n=100, 10% loss, one starved member (n7):\n${pad('model', 10)}${pad('Lifeguard', 11)}${pad('sim min', 9)}${pad('healthy', 10)}${pad('starved', 10)}false deaths/h`,
);
for (const r of starvedRows) console.log(r);
if (on !== undefined && off !== undefined) console.log(`moderate: ${ratioText}`);
const l10 = loadByN.get(10) ?? Number.NaN;
const lmax = loadByN.get(sizes[sizes.length - 1]!) ?? Number.NaN;
const ratios: Record<string, number | string> = {
  ...(on !== undefined && off !== undefined ? { 'false-deaths-lifeguard-off/on': ratioText } : {}),
  [`load-n${sizes[sizes.length - 1]}/n10`]: r2(lmax / l10),
};
console.log(JSON.stringify({ bench: 'gossip/sim', results, ratios }));
