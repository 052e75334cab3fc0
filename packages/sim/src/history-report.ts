import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPending, type Operation } from './history.js';
import type { Model } from './model.js';

export interface ReportInput {
  title: string;
  message: string;
  model: Model<unknown, unknown, unknown>;
  history: ReadonlyArray<Operation>;
  /** History indexes to draw (the failing partition). */
  operations: readonly number[];
  /** Longest linearizable prefix, in order. */
  prefix: ReadonlyArray<{ index: number; stateAfter: string }>;
  /** History index of the operation that could not be linearized. */
  failing: number;
}

// Inside the SVG so the drawing also stands alone if copied out of the page.
const SVG_CSS = `.lbl{font-size:12px;fill:#444}.op{font-size:11px;fill:#111;pointer-events:none}.grid{stroke:#eee}.tick{stroke:#f3f3f3}.axis{font-size:10px;fill:#888;text-anchor:middle}.lin{fill:#c8e6c9;stroke:#2e7d32}.fail{fill:#ffcdd2;stroke:#c62828;stroke-width:2}.rest{fill:#eceff1;stroke:#90a4ae}.pending{stroke-dasharray:4 3}.path{fill:none;stroke:#2e7d32;stroke-width:1;stroke-dasharray:2 2}.pt{fill:#1b5e20}`;

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const LANE = 34;
const LEFT = 110;
const MAX_WIDTH = 8000; // px of timeline; the step per timestamp shrinks to fit
const MAX_DRAWN = 2000; // a timeline of more operations is unreadable anyway

/**
 * Renders a self-contained HTML page (inline SVG and CSS, no scripts): one
 * lane per client, each operation a bar from call to return, the longest
 * linearizable prefix in green with its order and linearization points, the
 * operation that could not be placed in red, the rest grey.
 */
export function renderHistoryReport(r: ReportInput): string {
  const describe = (op: Operation): string =>
    r.model.describe
      ? r.model.describe(op.input, isPending(op) ? undefined : op.output)
      : `${JSON.stringify(op.input)} → ${isPending(op) ? '?' : JSON.stringify(op.output)}`;
  let ops = [...r.operations];
  let note = '';
  if (ops.length > MAX_DRAWN) {
    // Keep the part around the failure: the prefix tail and everything near the failing call.
    const failCall = r.history[r.failing]?.call ?? 0;
    ops.sort(
      (a, b) =>
        Math.abs((r.history[a] as Operation).call - failCall) -
        Math.abs((r.history[b] as Operation).call - failCall),
    );
    ops = ops.slice(0, MAX_DRAWN).sort((a, b) => a - b);
    note = ` (showing the ${MAX_DRAWN} operations nearest the failure out of ${r.operations.length})`;
  }
  const order = new Map<number, number>();
  for (let k = 0; k < r.prefix.length; k++) order.set((r.prefix[k] as { index: number }).index, k);

  const times = new Set<number>();
  for (const i of ops) {
    const op = r.history[i] as Operation;
    times.add(op.call);
    if (!isPending(op)) times.add(op.return as number);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const rank = new Map<number, number>();
  for (let k = 0; k < sorted.length; k++) rank.set(sorted[k] as number, k);
  const step = Math.max(8, Math.min(70, MAX_WIDTH / Math.max(1, sorted.length)));
  const xOf = (t: number) => LEFT + (rank.get(t) ?? 0) * step;
  const endX = LEFT + sorted.length * step + 40;

  const clients = [...new Set(ops.map((i) => String((r.history[i] as Operation).client)))].sort();
  const lane = new Map(clients.map((c, k) => [c, k]));
  const height = clients.length * LANE + 70;

  const parts: string[] = [];
  // Time axis: real timestamps under their ordinal positions, thinned to stay legible.
  const axisY = 30 + clients.length * LANE + 16;
  const every = Math.max(1, Math.ceil(60 / step));
  for (let k = 0; k < sorted.length; k += every) {
    const x = LEFT + k * step;
    parts.push(`<line x1="${x}" y1="26" x2="${x}" y2="${axisY - 10}" class="tick"/>`);
    parts.push(
      `<text x="${x}" y="${axisY}" class="axis">${esc(String(Math.round((sorted[k] as number) * 1000) / 1000))}</text>`,
    );
  }
  clients.forEach((c, k) => {
    const y = 30 + k * LANE;
    parts.push(`<text x="8" y="${y + 20}" class="lbl">client ${esc(c)}</text>`);
    parts.push(
      `<line x1="${LEFT - 6}" y1="${y + LANE - 2}" x2="${endX}" y2="${y + LANE - 2}" class="grid"/>`,
    );
  });
  for (const i of ops) {
    const op = r.history[i] as Operation;
    const y = 30 + (lane.get(String(op.client)) ?? 0) * LANE;
    const x1 = xOf(op.call);
    const pending = isPending(op);
    const x2 = pending ? endX - 10 : Math.max(xOf(op.return as number), x1 + 6);
    const k = order.get(i);
    const cls = i === r.failing ? 'fail' : k !== undefined ? 'lin' : 'rest';
    const label = `${k !== undefined ? `#${k + 1} ` : ''}${describe(op)}`;
    const tip = `op ${i}, client ${String(op.client)}: ${describe(op)}\ncall ${op.call}, return ${pending ? 'never (pending)' : String(op.return)}${k !== undefined ? `\nlinearized #${k + 1}; state after: ${r.prefix[k]?.stateAfter ?? ''}` : ''}`;
    parts.push(
      `<g><title>${esc(tip)}</title><rect x="${x1}" y="${y + 4}" width="${x2 - x1}" height="${LANE - 12}" rx="4" class="${cls}${pending ? ' pending' : ''}"/>` +
        `<text x="${x1 + 4}" y="${y + LANE / 2 + 3}" class="op">${esc(label.length > 48 ? `${label.slice(0, 45)}...` : label)}</text></g>`,
    );
  }
  // Linearization points: a valid order places each op's point inside its bar, non-decreasing.
  let px = 0;
  const pts: string[] = [];
  for (const p of r.prefix) {
    if (!ops.includes(p.index)) continue;
    const op = r.history[p.index] as Operation;
    const y = 30 + (lane.get(String(op.client)) ?? 0) * LANE + LANE / 2 - 2;
    px = Math.max(px + 2, xOf(op.call) + 3);
    pts.push(`${px},${y}`);
  }
  if (pts.length > 0) {
    parts.push(`<polyline points="${pts.join(' ')}" class="path"/>`);
    for (const p of pts) {
      const [x, y] = p.split(',');
      parts.push(`<circle cx="${x}" cy="${y}" r="3" class="pt"/>`);
    }
  }
  const rows = r.prefix
    .map((p, k) => {
      const op = r.history[p.index] as Operation;
      return `<tr><td>${k + 1}</td><td>${esc(String(op.client))}</td><td>${esc(describe(op))}</td><td>${esc(p.stateAfter)}</td></tr>`;
    })
    .join('\n');
  const failOp = r.history[r.failing];
  const failRow = failOp
    ? `<tr class="failrow"><td>✗</td><td>${esc(String(failOp.client))}</td><td>${esc(describe(failOp))}</td><td>cannot be placed next</td></tr>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.title)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:20px;color:#222}
.msg{background:#fff3f3;border-left:4px solid #c62828;padding:8px 12px;white-space:pre-wrap}
svg{border:1px solid #ddd;background:#fcfcfc}
table{border-collapse:collapse;margin-top:12px}td,th{border:1px solid #ddd;padding:2px 8px;font-size:12px}
.failrow{background:#ffcdd2}.legend span{display:inline-block;padding:0 8px;margin-right:8px;border:1px solid}
</style></head><body>
<h1>${esc(r.title)}</h1>
<p class="msg">${esc(r.message)}</p>
<p class="legend"><span class="lin" style="background:#c8e6c9;border-color:#2e7d32">linearizable prefix (#order, dots = linearization points)</span><span style="background:#ffcdd2;border-color:#c62828">operation that cannot be placed</span><span style="background:#eceff1;border-color:#90a4ae">not reached</span> dashed = pending (never returned)</p>
<p>${r.operations.length} operations in this partition${esc(note)}; time axis is ordinal (events in order, evenly spaced). Hover a bar for details.</p>
<svg xmlns="http://www.w3.org/2000/svg" width="${endX + 10}" height="${height}">
<style>${SVG_CSS}</style>
${parts.join('\n')}
</svg>
<h2>Longest linearizable prefix</h2>
<table><tr><th>#</th><th>client</th><th>operation</th><th>state after</th></tr>
${rows}
${failRow}
</table>
</body></html>
`;
}

let counter = 0;

/** Writes the report to `dir` (default: the OS temp dir) and returns its path. */
export function writeHistoryReport(r: ReportInput, dir?: string): string {
  const d = dir ?? join(tmpdir(), 'switchyard-sim');
  mkdirSync(d, { recursive: true });
  const path = join(d, `linearizability-${process.pid}-${Date.now()}-${++counter}.html`);
  writeFileSync(path, renderHistoryReport(r));
  return path;
}
