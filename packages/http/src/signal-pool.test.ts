import { describe, expect, it } from 'vitest';
import { recycleController, takeController } from './signal-pool.js';

describe('AbortController pool', () => {
  it('recycles a controller whose listeners were all removed', () => {
    const a = takeController();
    const listener = () => {};
    a.signal.addEventListener('abort', listener);
    a.signal.removeEventListener('abort', listener);
    recycleController(a);
    expect(takeController()).toBe(a);
  });

  it('never recycles one with a listener left, an onabort handler, or an abort', () => {
    const withListener = takeController();
    withListener.signal.addEventListener('abort', () => {});
    recycleController(withListener);
    const withHandler = takeController();
    withHandler.signal.onabort = () => {};
    recycleController(withHandler);
    const aborted = takeController();
    aborted.abort(new Error('x'));
    recycleController(aborted);
    const next = takeController();
    expect([withListener, withHandler, aborted]).not.toContain(next);
  });

  it('distrusts a count that went below zero', () => {
    const a = takeController();
    a.signal.removeEventListener('abort', () => {});
    a.signal.addEventListener('abort', () => {});
    recycleController(a);
    expect(takeController()).not.toBe(a);
  });

  it('still delivers abort events through the wrapped methods', () => {
    const a = takeController();
    let fired = 0;
    a.signal.addEventListener('abort', () => fired++);
    a.abort(new Error('x'));
    expect(fired).toBe(1);
  });
});
