import { appendFileSync } from 'node:fs';

/**
 * Diagnostic per-stage timestamps of the commit path, off unless
 * `RAFT_TRACE=<file>` is set (then every node process appends
 * `node stage index epochMs` lines to that file once a second). Wall-clock
 * milliseconds with sub-millisecond resolution, so the lines of several
 * processes on one machine can be joined by index. Used to break a commit's
 * latency down by stage (see README, Benchmark); never on in production.
 */
class StageTrace {
  private lines: string[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly file: string) {}

  mark(node: string, stage: string, index: number): void {
    // Bounded: beyond 100k unflushed lines the trace drops rather than grows.
    if (this.lines.length >= 100_000) return;
    this.lines.push(
      `${node} ${stage} ${index} ${(performance.timeOrigin + performance.now()).toFixed(3)}`,
    );
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), 1000);
      this.timer.unref();
    }
  }

  flush(): void {
    this.timer = null;
    if (this.lines.length === 0) return;
    appendFileSync(this.file, `${this.lines.join('\n')}\n`);
    this.lines = [];
  }
}

export const stageTrace: StageTrace | null = process.env.RAFT_TRACE
  ? new StageTrace(process.env.RAFT_TRACE)
  : null;
