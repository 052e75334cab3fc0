import { SwitchyardError } from './error.js';

export type TryRecvResult<T> = { ok: true; value: T } | { ok: false; closed: boolean };

interface RecvWaiter<T> {
  resolve(value: T): void;
  reject(error: Error): void;
  cleanup(): void;
}

interface SendWaiter<T> {
  value: T;
  resolve(): void;
  reject(error: Error): void;
  cleanup(): void;
}

function closedError(): SwitchyardError {
  return new SwitchyardError('UNAVAILABLE', 'queue closed');
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  return reason instanceof Error ? reason : new SwitchyardError('CANCELLED', 'aborted');
}

/**
 * A bounded multi-producer multi-consumer channel (the "crossfire-like"
 * channel of DESIGN.md). Values are handed over synchronously: a value given
 * to a waiting receiver is settled in the same step it is removed from the
 * queue, so an abort that races with the wakeup can never lose it — either
 * the waiter was still queued (it is removed, the value stays) or it already
 * has the value.
 */
export class BoundedQueue<T> implements AsyncIterable<T> {
  readonly capacity: number;
  private readonly items: T[] = [];
  private head = 0;
  private readonly receivers: RecvWaiter<T>[] = [];
  private readonly senders: SendWaiter<T>[] = [];
  private isClosed = false;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new SwitchyardError(
        'INVALID_ARGUMENT',
        `capacity must be a positive integer, got ${capacity}`,
      );
    }
    this.capacity = capacity;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Receivers currently waiting (for tests and metrics). */
  get waitingReceivers(): number {
    return this.receivers.length;
  }

  get waitingSenders(): number {
    return this.senders.length;
  }

  private shift(): T {
    const v = this.items[this.head] as T;
    (this.items as unknown[])[this.head] = undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return v;
  }

  /** Enqueues without waiting; false when full or closed. */
  trySend(value: T): boolean {
    if (this.isClosed) return false;
    const r = this.receivers.shift();
    if (r) {
      r.cleanup();
      r.resolve(value);
      return true;
    }
    if (this.size >= this.capacity) return false;
    this.items.push(value);
    return true;
  }

  /** Waits for room; rejects with UNAVAILABLE once closed, or with the signal's reason. */
  send(value: T, signal?: AbortSignal): Promise<void> {
    if (this.isClosed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (this.trySend(value)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: SendWaiter<T> = {
        value,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = (): void => {
        const i = this.senders.indexOf(waiter);
        if (i >= 0) {
          this.senders.splice(i, 1);
          reject(abortError(signal!));
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.senders.push(waiter);
    });
  }

  /** Dequeues without waiting. */
  tryRecv(): TryRecvResult<T> {
    if (this.size > 0) {
      const value = this.shift();
      this.refill();
      return { ok: true, value };
    }
    const s = this.senders.shift();
    if (s) {
      // Capacity is full only when items exist, but keep the handoff total.
      s.cleanup();
      s.resolve();
      return { ok: true, value: s.value };
    }
    return { ok: false, closed: this.isClosed };
  }

  /** Moves the first waiting sender's value into the freed slot. */
  private refill(): void {
    if (this.size >= this.capacity) return;
    const s = this.senders.shift();
    if (!s) return;
    s.cleanup();
    this.items.push(s.value);
    s.resolve();
  }

  /** Waits for a value; after close, drains what is left, then rejects with UNAVAILABLE. */
  recv(signal?: AbortSignal): Promise<T> {
    const r = this.tryRecv();
    if (r.ok) return Promise.resolve(r.value);
    if (this.isClosed) return Promise.reject(closedError());
    if (signal?.aborted) return Promise.reject(abortError(signal));
    return new Promise<T>((resolve, reject) => {
      const waiter: RecvWaiter<T> = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      const onAbort = (): void => {
        const i = this.receivers.indexOf(waiter);
        if (i >= 0) {
          this.receivers.splice(i, 1);
          reject(abortError(signal!));
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.receivers.push(waiter);
    });
  }

  /** No new values; queued values stay receivable; waiting senders and idle receivers are rejected. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const s of this.senders.splice(0)) {
      s.cleanup();
      s.reject(closedError());
    }
    for (const r of this.receivers.splice(0)) {
      r.cleanup();
      r.reject(closedError());
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      const r = this.tryRecv();
      if (r.ok) {
        yield r.value;
        continue;
      }
      if (r.closed) return;
      try {
        yield await this.recv();
      } catch (error) {
        if (this.isClosed && this.size === 0) return;
        throw error;
      }
    }
  }
}
