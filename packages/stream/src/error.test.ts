import { describe, expect, it } from 'vitest';
import { SwitchyardError } from './error.js';
import { ERROR_CODES, httpStatusOf } from './error-codes.js';

describe('SwitchyardError', () => {
  it('carries code, HTTP status and retryability from the shared table', () => {
    const err = new SwitchyardError('UNAVAILABLE', 'node down', { data: { node: 'a' } });
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.status).toBe(503);
    expect(err.retryable).toBe(true);
    expect(new SwitchyardError('DEADLINE_EXCEEDED', 't').retryable).toBe(false);
    expect(err.toJSON()).toEqual({
      code: 'UNAVAILABLE',
      message: 'node down',
      data: { node: 'a' },
    });
  });

  it('survives a second copy of the class (duplicate installs)', () => {
    // A structurally identical object branded by another copy of the package.
    const foreign = Object.assign(new Error('x'), { [Symbol.for('@switchyard/error')]: true });
    expect(foreign instanceof SwitchyardError).toBe(true);
    expect(new Error('plain') instanceof SwitchyardError).toBe(false);
    expect((null as unknown) instanceof SwitchyardError).toBe(false);
  });

  it('round-trips through JSON and rejects unknown codes as UNKNOWN', () => {
    const back = SwitchyardError.fromJSON(
      JSON.parse(JSON.stringify(new SwitchyardError('NOT_FOUND', 'nope'))),
    );
    expect(back).toBeInstanceOf(SwitchyardError);
    expect(back.code).toBe('NOT_FOUND');
    expect(SwitchyardError.fromJSON({ code: 'BOGUS', message: 'm' }).code).toBe('UNKNOWN');
    expect(SwitchyardError.fromJSON('garbage').code).toBe('UNKNOWN');
  });

  it('wraps foreign throwables as INTERNAL without leaking their message', () => {
    const wrapped = SwitchyardError.from(new TypeError('secret path /etc/x'));
    expect(wrapped.code).toBe('INTERNAL');
    expect(wrapped.message).not.toContain('secret');
    expect(wrapped.cause).toBeInstanceOf(TypeError);
    expect(JSON.stringify(wrapped)).not.toContain('stack');
  });

  it('maps every code to a status, unknown strings to 500', () => {
    for (const code of Object.keys(ERROR_CODES))
      expect(httpStatusOf(code)).toBeGreaterThanOrEqual(400);
    expect(httpStatusOf('NOPE')).toBe(500);
  });
});
