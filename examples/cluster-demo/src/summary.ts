import type { DemoResult } from './demo.js';

const fmt = (ms: number): string =>
  Number.isNaN(ms) ? '-' : ms < 10 ? ms.toFixed(2) : ms.toFixed(1);

/** The table printed at the end of the demo. */
export function formatSummary(r: DemoResult, totalSeconds: number): string {
  const lines: string[] = [];
  lines.push('protocol  ok ops   errors  ops/s    p50 ms  p90 ms  p99 ms  max ms');
  lines.push('--------  -------  ------  -------  ------  ------  ------  ------');
  for (const [name, s] of Object.entries(r.perProtocol)) {
    lines.push(
      [
        name.padEnd(8),
        String(s.ok).padStart(7),
        String(s.errors).padStart(6),
        String(Math.round(s.ok / r.seconds)).padStart(7),
        fmt(s.percentile(50)).padStart(6),
        fmt(s.percentile(90)).padStart(6),
        fmt(s.percentile(99)).padStart(6),
        fmt(s.percentile(100)).padStart(6),
      ].join('  '),
    );
  }
  lines.push('');
  lines.push(`killed leader: ${r.killedLeader || '-'}  new leader: ${r.newLeader ?? '-'}`);
  lines.push(
    `leader election after kill: ${r.electionMs === undefined ? 'none' : `${r.electionMs.toFixed(0)} ms`}`,
  );
  lines.push(
    `failover time (kill → first acknowledged write): ${r.failoverMs === undefined ? 'none' : `${r.failoverMs.toFixed(0)} ms`}`,
  );
  lines.push(`acknowledged writes: ${r.verdict.acknowledgedWrites}`);
  lines.push(`linearizability: ${r.verdict.linearizable} — ${r.verdict.message}`);
  lines.push(`lost acknowledged writes: ${r.verdict.lost}`);
  lines.push(`total time: ${totalSeconds.toFixed(1)} s`);
  return lines.join('\n');
}
