import { expect, describe as group, it } from 'vitest';
import { z } from 'zod';
import { method } from './method.js';
import { service } from './service.js';
import { testService } from './test-service.js';

const greeter = service('greeter', {
  hello: method({
    input: z.object({ name: z.string() }),
    handler: (input) => ({ msg: `hi ${input.name}` }),
  }),
});

group('testService()', () => {
  it('calls, and asserts output or error code in one line', async () => {
    const t = testService(greeter);
    await t.call('hello', { name: 'a' }).expectOutput({ msg: 'hi a' });
    await t.call('hello', { name: 'b' }).expectOutput((o) => o.msg.endsWith('b'));
    expect(await t.call('hello', { name: 'c' })).toEqual({ msg: 'hi c' });
    await t.call('hello', { name: 1 } as never).expectError('INVALID_ARGUMENT');
    await t.close();
  });

  it('reports mismatches as failed assertions', async () => {
    const t = testService(greeter);
    await expect(t.call('hello', { name: 'a' }).expectOutput({ msg: 'nope' })).rejects.toThrow(
      /does not match/,
    );
    await expect(t.call('hello', { name: 'a' }).expectError('NOT_FOUND')).rejects.toThrow(
      /expected error NOT_FOUND, got output/,
    );
    await expect(t.call('hello', {} as never).expectError('NOT_FOUND')).rejects.toThrow(
      /got INVALID_ARGUMENT/,
    );
    await expect(t.call('hello', {} as never).expectOutput({ msg: '' })).rejects.toThrow(
      /got error INVALID_ARGUMENT/,
    );
    await expect(
      t.call('hello', {} as never).expectError('INVALID_ARGUMENT', 'no such text'),
    ).rejects.toThrow(/message/);
    await t.close();
  });
});
