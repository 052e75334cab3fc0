/**
 * A bounded async iterable fed by callbacks. A slow consumer loses the oldest
 * events (counted in `dropped`) rather than growing memory without limit.
 */
export class EventStream<T> implements AsyncIterable<T> {
  private readonly buf: T[] = [];
  private waiter: ((r: IteratorResult<T>) => void) | undefined;
  private closed = false;
  dropped = 0;

  constructor(private readonly capacity: number) {}

  push(v: T): void {
    if (this.closed) return;
    if (this.waiter !== undefined) {
      const w = this.waiter;
      this.waiter = undefined;
      w({ value: v, done: false });
      return;
    }
    this.buf.push(v);
    if (this.buf.length > this.capacity) {
      this.buf.shift();
      this.dropped++;
    }
  }

  close(): void {
    this.closed = true;
    const w = this.waiter;
    this.waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const v = this.buf.shift();
        if (v !== undefined) return Promise.resolve({ value: v, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiter = resolve;
        });
      },
      return: () => {
        this.close();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
