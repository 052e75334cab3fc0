/**
 * Suspicion timeouts (Lifeguard's dynamic suspicion). A suspicion starts at
 * the maximum timeout and shrinks logarithmically towards the minimum as
 * independent members confirm it, so a lone (possibly unhealthy) accuser has to
 * wait long, while a member many agree is gone is declared dead quickly.
 */

/** Minimum suspicion timeout: mult · max(1, log10(n)) · interval. */
export function suspicionMinTimeout(mult: number, n: number, intervalMs: number): number {
  const scale = Math.max(1, Math.log10(Math.max(1, n)));
  return mult * scale * intervalMs;
}

/**
 * Timeout after `confirmations` independent confirmations out of the `k`
 * expected: max − (max − min) · log(c + 1) / log(k + 1), never below min.
 */
export function suspicionTimeout(
  confirmations: number,
  k: number,
  minMs: number,
  maxMs: number,
): number {
  if (k < 1) return minMs;
  const frac = Math.log(confirmations + 1) / Math.log(k + 1);
  const t = maxMs - frac * (maxMs - minMs);
  return Math.max(minMs, Math.floor(t));
}

/** Bookkeeping for one suspected member. */
export class Suspicion {
  /** Members that independently suspected this one (the first accuser included). */
  private readonly accusers = new Set<string>();
  deadline: number;

  constructor(
    from: string,
    readonly start: number,
    /** Confirmations needed to reach the minimum timeout. */
    readonly k: number,
    readonly minMs: number,
    readonly maxMs: number,
  ) {
    this.accusers.add(from);
    this.deadline = start + (k < 1 ? minMs : maxMs);
  }

  get confirmations(): number {
    return this.accusers.size - 1;
  }

  /** Records an accuser; returns true if it was new (and the deadline may have moved). */
  confirm(from: string): boolean {
    if (this.confirmations >= this.k || this.accusers.has(from)) return false;
    this.accusers.add(from);
    this.deadline =
      this.start + suspicionTimeout(this.confirmations, this.k, this.minMs, this.maxMs);
    return true;
  }
}
