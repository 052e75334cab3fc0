/** Latency samples in a bounded reservoir, for percentiles at the end. */
export class LatencyStats {
  private readonly samples: number[] = [];
  private seen = 0;
  ok = 0;
  errors = 0;

  constructor(private readonly capacity = 200_000) {}

  add(ms: number): void {
    this.ok++;
    this.seen++;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else {
      // Reservoir sampling keeps memory bounded on long runs.
      const i = Math.floor(Math.random() * this.seen);
      if (i < this.capacity) this.samples[i] = ms;
    }
  }

  percentile(p: number): number {
    if (this.samples.length === 0) return Number.NaN;
    const sorted = [...this.samples].sort((a, b) => a - b);
    const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[i] as number;
  }
}
