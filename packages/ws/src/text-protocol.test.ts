import { SwitchyardError } from '@switchyard/stream';
import { describe, expect, it } from 'vitest';
import {
  formatError,
  formatItem,
  formatOutput,
  formatPush,
  MAX_ID_LENGTH,
  parseTextRequest,
} from './text-protocol.js';

describe('parseTextRequest', () => {
  it('reads calls, notifications and cancels', () => {
    expect(
      parseTextRequest('{"id":1,"method":"a.b","input":{"x":1},"timeout":50,"metadata":{"k":"v"}}'),
    ).toEqual({
      kind: 'call',
      id: 1,
      method: 'a.b',
      input: { x: 1 },
      metadata: { k: 'v' },
      timeout: 50,
    });
    expect(parseTextRequest('{"method":"a.b"}')).toMatchObject({ kind: 'notify', method: 'a.b' });
    expect(parseTextRequest('{"cancel":"x"}')).toEqual({ kind: 'cancel', id: 'x' });
  });

  it('turns every kind of garbage into an error, never a throw', () => {
    const cases: [string, string | number | null][] = [
      ['', null],
      ['nope', null],
      ['null', null],
      ['42', null],
      ['"str"', null],
      ['[{"id":1}]', null],
      ['{"id":1.5,"method":"a"}', null],
      ['{"id":true,"method":"a"}', null],
      [`{"id":"${'x'.repeat(MAX_ID_LENGTH + 1)}","method":"a"}`, null],
      ['{"id":1}', 1],
      ['{"id":1,"method":""}', 1],
      ['{"id":1,"method":7}', 1],
      ['{"id":1,"method":"a","metadata":{"k":1}}', 1],
      ['{"id":1,"method":"a","metadata":[]}', 1],
      ['{"id":1,"method":"a","timeout":-1}', 1],
      ['{"id":1,"method":"a","timeout":"5"}', 1],
      ['{"cancel":{}}', null],
      ['{"__proto__":{"polluted":1},"id":2}', 2],
    ];
    for (const [text, id] of cases) {
      const parsed = parseTextRequest(text);
      expect(parsed.kind, text).toBe('invalid');
      if (parsed.kind === 'invalid') {
        expect(parsed.id, text).toBe(id);
        expect(parsed.error.code).toBe('INVALID_ARGUMENT');
      }
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('formatting', () => {
  it('writes the documented shapes', () => {
    expect(JSON.parse(formatOutput(1, { a: 1 }))).toEqual({ id: 1, result: { a: 1 } });
    expect(JSON.parse(formatOutput(1, undefined))).toEqual({ id: 1, result: null });
    expect(JSON.parse(formatItem('s', 3) as string)).toEqual({ id: 's', data: 3 });
    expect(JSON.parse(formatPush('t', { v: 1 }) as string)).toEqual({ push: 't', value: { v: 1 } });
    expect(JSON.parse(formatError(null, new SwitchyardError('NOT_FOUND', 'x')))).toEqual({
      error: { code: 'NOT_FOUND', message: 'x' },
    });
  });

  it('sends bytes as base64 and reports values JSON cannot hold', () => {
    expect(JSON.parse(formatOutput(1, new Uint8Array([0, 1, 2])))).toEqual({
      id: 1,
      result: 'AAEC',
    });
    expect(JSON.parse(formatOutput(1, { b: Buffer.from('hi') }))).toEqual({
      id: 1,
      result: { b: 'aGk=' },
    });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(JSON.parse(formatOutput(1, circular))).toMatchObject({
      id: 1,
      error: { code: 'INTERNAL' },
    });
    expect(formatItem(1, 10n)).toBeInstanceOf(SwitchyardError);
    const withBadData = new SwitchyardError('ABORTED', 'x', { data: { n: 1n } });
    expect(JSON.parse(formatError(2, withBadData))).toEqual({
      id: 2,
      error: { code: 'ABORTED', message: 'x' },
    });
  });
});
