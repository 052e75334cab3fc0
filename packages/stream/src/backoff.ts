export interface BackoffOptions {
  /** First delay in ms (default 50). */
  initial?: number;
  /** Largest delay in ms (default 5000). */
  max?: number;
  /** Growth per failure (default 2). */
  factor?: number;
  /** Fraction of the delay randomized, 0–1 (default 0.3): spreads reconnect storms. */
  jitter?: number;
}

/** Exponential backoff with jitter; `random` is injected for deterministic tests. */
export class Backoff {
  private readonly initial: number;
  private readonly max: number;
  private readonly factor: number;
  private readonly jitter: number;
  private failures = 0;

  constructor(
    options: BackoffOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.initial = options.initial ?? 50;
    this.max = options.max ?? 5000;
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.3));
  }

  get attempts(): number {
    return this.failures;
  }

  /** Delay before the next attempt after one more failure. */
  next(): number {
    const base = Math.min(this.max, this.initial * this.factor ** this.failures);
    this.failures++;
    return base * (1 - this.jitter + this.jitter * 2 * this.random());
  }

  reset(): void {
    this.failures = 0;
  }
}
