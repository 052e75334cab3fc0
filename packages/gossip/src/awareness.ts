/**
 * Lifeguard's local health multiplier. A member that misses acks it should
 * have received (while its relays' nacks show the network is fine), or that
 * has to refute suspicions about itself, is probably the slow one; it then
 * probes less often and waits longer before suspecting others.
 */
export class Awareness {
  private score = 0;

  constructor(
    /** Scores run from 0 to max − 1; timeouts scale by (score + 1). */
    private readonly max: number,
    private readonly enabled: boolean,
  ) {}

  get value(): number {
    return this.score;
  }

  apply(delta: number): void {
    if (!this.enabled) return;
    this.score = Math.min(this.max - 1, Math.max(0, this.score + delta));
  }

  scale(ms: number): number {
    return ms * (this.score + 1);
  }
}
