/**
 * AbortControllers for requests, recycled. The edge reads a request's signal
 * on every dispatch, and creating an AbortController (an EventTarget with its
 * own listener map) costs more than the rest of a small GET together, mostly
 * in garbage collection.
 *
 * A controller goes back to the pool only if it was never aborted and every
 * listener added to its signal was removed again, so a recycled signal looks
 * exactly like a fresh one to the next request. Listeners are counted by
 * wrapping the signal's own add/removeEventListener and `onabort` once, at
 * creation; the check on release is then one field read. (Node's
 * getEventListeners() would do, but it validates and allocates on every call.)
 */
export class PooledController {
  readonly controller = new AbortController();
  /** Listeners added minus removed; NaN once the count cannot be trusted. */
  listeners = 0;
  aborted = false;

  constructor() {
    const signal = this.controller.signal;
    const add = signal.addEventListener;
    const remove = signal.removeEventListener;
    // Adding the same listener twice is a no-op for EventTarget: the count then
    // overstates, which only means this controller is never recycled.
    signal.addEventListener = (...args: Parameters<typeof add>) => {
      this.listeners++;
      add.apply(signal, args);
    };
    // Removing more than was added means the count is wrong: never recycle.
    signal.removeEventListener = (...args: Parameters<typeof remove>) => {
      this.listeners = this.listeners > 0 ? this.listeners - 1 : Number.NaN;
      remove.apply(signal, args);
    };
    const proto = Object.getPrototypeOf(signal) as object;
    const onabort = findAccessor(proto, 'onabort');
    if (onabort?.get !== undefined && onabort.set !== undefined) {
      const { get, set } = onabort;
      Object.defineProperty(signal, 'onabort', {
        configurable: true,
        get: () => get.call(signal),
        set: (handler: unknown) => {
          this.listeners = Number.NaN;
          set.call(signal, handler);
        },
      });
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.aborted = true;
    this.controller.abort(reason);
  }
}

function findAccessor(proto: object | null, key: string): PropertyDescriptor | undefined {
  for (let p = proto; p !== null; p = Object.getPrototypeOf(p) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(p, key);
    if (descriptor !== undefined) return descriptor;
  }
  return undefined;
}

const MAX_POOLED = 1024;
const pool: PooledController[] = [];

export function takeController(): PooledController {
  return pool.pop() ?? new PooledController();
}

export function recycleController(pooled: PooledController): void {
  if (pooled.listeners !== 0 || pooled.aborted || pool.length >= MAX_POOLED) return;
  pool.push(pooled);
}
