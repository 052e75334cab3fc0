import { SwitchyardError } from './error.js';

/**
 * Receive side of one stream (PROTOCOL.md §8): buffers at most `capacity`
 * messages — the credit this side granted — and grants more credit as the
 * consumer takes messages, so a slow consumer stops a fast producer.
 */
export class StreamInbox<T = unknown> implements AsyncIterableIterator<T> {
  private items: unknown[] = [];
  private head = 0;
  private ended = false;
  private error: Error | undefined;
  private waiter: { resolve(r: IteratorResult<T>): void; reject(e: Error): void } | undefined;
  private consumed = 0;
  private stopped = false;

  constructor(
    readonly capacity: number,
    /** Sends CREDIT(n) to the producer. */
    private readonly grant: (n: number) => void,
    /** The consumer stopped early (break/return): cancel upstream. */
    private readonly onStop: () => void,
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  /** Delivers a message; false when the producer overran its credit. */
  push(value: unknown): boolean {
    if (this.ended || this.stopped) return true;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      this.took();
      w.resolve({ value: value as T, done: false });
      return true;
    }
    if (this.size >= this.capacity) return false;
    this.items.push(value);
    return true;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    const w = this.waiter;
    if (w && this.size === 0) {
      this.waiter = undefined;
      w.resolve({ value: undefined, done: true });
    }
  }

  fail(error: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w.reject(error);
    }
  }

  private took(): void {
    if (this.stopped) return;
    this.consumed++;
    if (this.consumed * 2 >= this.capacity) {
      const n = this.consumed;
      this.consumed = 0;
      if (!this.ended) this.grant(n);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.items[this.head] as T;
      this.items[this.head] = undefined;
      this.head++;
      if (this.head === this.items.length) {
        this.items = [];
        this.head = 0;
      }
      this.took();
      return Promise.resolve({ value, done: false });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended || this.stopped) return Promise.resolve({ value: undefined, done: true });
    if (this.waiter) {
      return Promise.reject(
        new SwitchyardError('FAILED_PRECONDITION', 'stream read while a read is pending'),
      );
    }
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    if (!this.stopped && !this.ended) {
      this.stopped = true;
      this.items = [];
      this.head = 0;
      this.onStop();
    }
    this.stopped = true;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}
