/**
 * Breaks the commit latency of a traced run down by stage:
 * `RAFT_TRACE=/tmp/t.log RAFT_BENCH_ONLY=low-load pnpm --filter @switchyard/raft bench`,
 * then `tsx bench/trace-report.ts /tmp/t.log`. Joins the lines of the three
 * processes by log index (wall-clock ms; see src/stage-trace.ts) and prints
 * the median and p99 of each step, relative to the leader's `propose`, for
 * the entries proposed one at a time (the low-load run).
 */
import { readFileSync } from 'node:fs';

const file = process.argv[2];
if (!file) throw new Error('usage: trace-report <trace file>');
// index → "node stage" → first time seen
const byIndex = new Map<number, Map<string, number>>();
for (const line of readFileSync(file, 'utf8').split('\n')) {
  const [node, stage, idx, at] = line.split(' ');
  if (!node || !stage || !idx || !at) continue;
  const i = Number(idx);
  let m = byIndex.get(i);
  if (!m) byIndex.set(i, (m = new Map()));
  const key = `${node} ${stage}`;
  if (!m.has(key)) m.set(key, Number(at));
}
const steps = new Map<string, number[]>();
const add = (name: string, v: number | undefined) => {
  if (v === undefined || !Number.isFinite(v)) return;
  let l = steps.get(name);
  if (!l) steps.set(name, (l = []));
  l.push(v);
};
const proposal = (m: Map<string, number> | undefined) => {
  const key = m && [...m.keys()].find((k) => k.endsWith(' propose'));
  return key ? { leader: key.split(' ')[0] as string, at: m.get(key) as number } : null;
};
for (const [index, m] of byIndex) {
  const p = proposal(m);
  if (!p) continue;
  const { leader, at: t0 } = p;
  // Low load only: skip entries proposed while the previous one was still
  // pending (the bench's saturation warm-up and run), which batch and queue.
  const prev = byIndex.get(index - 1);
  const prevAnswered = prev?.get(`${proposal(prev)?.leader} applied`);
  if (prevAnswered === undefined || prevAnswered > t0) continue;
  const at = (k: string) => {
    const v = m.get(k);
    return v === undefined ? undefined : v - t0;
  };
  add('leader: append sent', at(`${leader} send-app`));
  add('leader: own log durable', at(`${leader} durable`));
  const followers = new Set(
    [...m.keys()].map((k) => k.split(' ')[0] as string).filter((n) => n !== leader),
  );
  let firstAck = Number.POSITIVE_INFINITY;
  for (const f of followers) {
    add('follower: append received', at(`${f} recv-app`));
    add('follower: durable', at(`${f} durable`));
    add('follower: ack sent', at(`${f} send-ack-${f}`));
    const ack = at(`${leader} recv-ack-${f}`);
    add('leader: ack received (each follower)', ack);
    if (ack !== undefined) firstAck = Math.min(firstAck, ack);
  }
  if (Number.isFinite(firstAck)) add('leader: first ack received', firstAck);
  add('leader: applied, caller answered', at(`${leader} applied`));
}
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
console.log('| stage (ms after propose) | n | p50 | p99 |');
console.log('|---|---:|---:|---:|');
// In the order of the commit path (the map holds them in first-seen order).
const byMedian = [...steps].sort((a, b) => pct(a[1], 50) - pct(b[1], 50));
for (const [name, xs] of byMedian)
  console.log(`| ${name} | ${xs.length} | ${pct(xs, 50).toFixed(3)} | ${pct(xs, 99).toFixed(3)} |`);
