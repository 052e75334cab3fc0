/**
 * The Switchyard demo: `pnpm demo`, or
 *   node --import tsx examples/cluster-demo/src/main.ts
 * Environment: DEMO_DURATION_MS (default 10000), DEMO_KILL_AT_MS (default 3500).
 * Exits 1 if an acknowledged write was lost or the history is not linearizable.
 */
import { runDemo } from './demo.js';
import { formatSummary } from './summary.js';

const durationMs = Number(process.env.DEMO_DURATION_MS ?? 10_000);
const killAtMs = Number(process.env.DEMO_KILL_AT_MS ?? Math.min(3500, durationMs / 3));
if (!(durationMs > 0) || !(killAtMs > 0) || killAtMs >= durationMs) {
  process.stderr.write(
    'DEMO_DURATION_MS and DEMO_KILL_AT_MS must be positive, kill before the end\n',
  );
  process.exit(2);
}

const controller = new AbortController();
let interrupted = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    process.stdout.write(`\n${sig}: stopping the nodes…\n`);
    controller.abort();
    // runDemo's finally stops the children; the 'exit' hook kills any left behind.
    setTimeout(() => process.exit(130), 4000).unref();
  });
}

const started = performance.now();
try {
  const result = await runDemo({
    durationMs,
    killAtMs,
    depth: 2,
    keys: 16,
    print: (line) => process.stdout.write(`${line}\n`),
    signal: controller.signal,
  });
  process.stdout.write(`\n${formatSummary(result, (performance.now() - started) / 1000)}\n`);
  const bad = result.verdict.lost > 0 || result.verdict.linearizable === 'violation';
  process.exit(interrupted ? 130 : bad ? 1 : 0);
} catch (error) {
  process.stderr.write(
    `demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(interrupted ? 130 : 1);
}
