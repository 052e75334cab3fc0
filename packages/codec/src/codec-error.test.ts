import { describe, expect, it } from 'vitest';
import { CodecError, isCodecError } from './codec-error.js';

describe('CodecError', () => {
  it('carries a code, the codec name and the cause', () => {
    const cause = new Error('inner');
    const error = new CodecError('TRUNCATED', 'ran out', { codec: 'json', cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CodecError);
    expect(error.code).toBe('TRUNCATED');
    expect(error.codec).toBe('json');
    expect(error.name).toBe('CodecError');
    expect(error.message).toBe('json: ran out');
    expect(error.cause).toBe(cause);
  });

  it('is recognised across duplicate installs through a global brand', () => {
    // What a CodecError from another copy of the package looks like to this one.
    const foreign = Object.assign(new Error('x'), { code: 'MALFORMED' });
    Object.defineProperty(foreign, Symbol.for('@switchyard/codec/CodecError'), { value: true });
    expect(foreign instanceof CodecError).toBe(true);
    expect(isCodecError(foreign)).toBe(true);
  });

  it('rejects lookalikes', () => {
    expect(isCodecError(new Error('x'))).toBe(false);
    expect(isCodecError({ code: 'MALFORMED' })).toBe(false);
    expect(isCodecError(null)).toBe(false);
    expect(isCodecError('TRUNCATED')).toBe(false);
  });
});
