import { describe, expect, it } from 'vitest';
import { HistoryRecorder, isPending, validateHistory } from './history.js';
import { renderHistoryReport } from './history-report.js';
import { registerModel } from './register-model.js';

describe('HistoryRecorder', () => {
  it('records invocations and completions; unfinished ones stay pending', () => {
    const h = new HistoryRecorder<string, number>();
    const a = h.invoke('c1', 'read', 1);
    const b = h.invoke('c2', 'read', 2);
    h.complete(a, 5, 3);
    const ops = h.operations();
    expect(ops).toEqual([
      { client: 'c1', call: 1, return: 3, input: 'read', output: 5 },
      { client: 'c2', call: 2, input: 'read' },
    ]);
    expect(isPending(ops[1]!)).toBe(true);
    expect(h.length).toBe(2);
    ops[0]!.call = 99; // a copy
    expect(h.operations()[0]?.call).toBe(1);
    expect(() => h.complete(a, 1, 4)).toThrow(/already/);
    expect(() => h.complete(7, 1, 4)).toThrow(/unknown operation/);
    expect(() => h.complete(b, 1, 1)).toThrow(/before call/);
    expect(() => h.invoke('c', 'x', Number.NaN)).toThrow(RangeError);
  });

  it('is bounded', () => {
    const h = new HistoryRecorder(2);
    h.invoke(1, null, 0);
    h.invoke(1, null, 0);
    expect(() => h.invoke(1, null, 0)).toThrow(/more than 2/);
  });

  it('validateHistory rejects non-arrays and non-objects', () => {
    expect(() => validateHistory('x' as never)).toThrow(/array/);
    expect(() => validateHistory([null] as never)).toThrow(/history\[0\]: not an object/);
    expect(() => validateHistory([{ client: 1, call: 0, return: Number.NaN, input: 1 }])).toThrow(
      /return must be a number/,
    );
  });
});

describe('renderHistoryReport', () => {
  it('thins very long partitions to the operations nearest the failure', () => {
    const history = Array.from({ length: 3000 }, (_, i) => ({
      client: i % 5,
      call: i * 2,
      return: i * 2 + 1,
      input: { op: 'write' as const, value: i },
    }));
    const html = renderHistoryReport({
      title: 't',
      message: 'm',
      model: registerModel(0) as never,
      history,
      operations: history.map((_, i) => i),
      prefix: [{ index: 0, stateAfter: '0' }],
      failing: 2999,
    });
    expect(html).toContain('showing the 2000 operations nearest the failure out of 3000');
    expect(html).toContain('write(2999)');
    expect(html).not.toContain('write(100)<');
  });
});
