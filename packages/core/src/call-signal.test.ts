import { expect, describe as group, it } from 'vitest';
import { CallSignal, LinkedCallSignal, type SignalSource } from './call-signal.js';

const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A source that counts how often its (lazily made) signal was read. */
function countingSource(): SignalSource & { reads: number; controller: AbortController } {
  const controller = new AbortController();
  return {
    reads: 0,
    controller,
    get signal() {
      this.reads++;
      return controller.signal;
    },
  };
}

group('CallSignal', () => {
  it('calls its listener once with the reason, and reports aborted', () => {
    const signal = new CallSignal();
    const seen: unknown[] = [];
    signal.addEventListener('abort', () => seen.push(signal.reason));
    expect(signal.aborted).toBe(false);
    signal.abort('why');
    signal.abort('again');
    expect(signal.aborted).toBe(true);
    expect(seen).toEqual(['why']);
    expect(() => signal.throwIfAborted()).toThrow('why');
  });

  it('calls an object listener through handleEvent and forgets a removed one', () => {
    const signal = new CallSignal();
    let events = 0;
    const listener = { handleEvent: () => events++ };
    signal.addEventListener('abort', listener);
    signal.removeEventListener('abort', listener);
    signal.abort(new Error('x'));
    expect(events).toBe(0);
  });

  it('refuses a second, different listener', () => {
    const signal = new CallSignal();
    signal.addEventListener('abort', () => {});
    expect(() => signal.addEventListener('abort', () => {})).toThrow(/one abort listener/);
  });
});

group('LinkedCallSignal', () => {
  it('never reads the source signal when nobody listens past the turn', async () => {
    const source = countingSource();
    const signal = new LinkedCallSignal(source);
    const listener = (): void => {};
    signal.addEventListener('abort', listener);
    signal.removeEventListener('abort', listener);
    await nextTurn();
    expect(source.reads).toBe(0);
  });

  it('links at the end of the turn and forwards the source abort', async () => {
    const source = countingSource();
    const signal = new LinkedCallSignal(source);
    const reasons: unknown[] = [];
    signal.addEventListener('abort', () => reasons.push(signal.reason));
    await nextTurn();
    expect(source.reads).toBe(1);
    source.controller.abort('cancelled by peer');
    expect(signal.aborted).toBe(true);
    expect(reasons).toEqual(['cancelled by peer']);
  });

  it('aborts at link time when the source already aborted', async () => {
    const source = countingSource();
    source.controller.abort('gone');
    const signal = new LinkedCallSignal(source);
    let fired = 0;
    signal.addEventListener('abort', () => fired++);
    await nextTurn();
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
    expect(fired).toBe(1);
  });

  it('watches a source with an abort hook through the hook, at once, never reading its signal', () => {
    const source: SignalSource & { reads: number } = {
      reads: 0,
      get signal(): AbortSignal {
        this.reads++;
        return new AbortController().signal;
      },
      onAbort: undefined,
      abortReason: undefined,
    };
    const signal = new LinkedCallSignal(source);
    const listener = (): void => {};
    signal.addEventListener('abort', listener);
    expect(typeof source.onAbort).toBe('function');
    signal.removeEventListener('abort', listener);
    expect(source.onAbort).toBeUndefined();

    let fired: unknown;
    signal.addEventListener('abort', (e) => {
      fired = (e.target as unknown as CallSignal).reason;
    });
    source.onAbort?.(new Error('cancelled'));
    expect(signal.aborted).toBe(true);
    expect((fired as Error).message).toBe('cancelled');
    expect(source.reads).toBe(0);

    // Already aborted when watched: fires at once.
    const gone = new LinkedCallSignal({ ...source, abortReason: new Error('late') });
    let late = 0;
    gone.addEventListener('abort', () => late++);
    expect(gone.aborted).toBe(true);
    expect(late).toBe(1);
  });
});
