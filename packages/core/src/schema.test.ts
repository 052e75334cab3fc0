import type { StandardSchemaV1 } from '@standard-schema/spec';
import { expect, it } from 'vitest';
import { method } from './method.js';
import { jsonSchemaOf, toWireIssues } from './schema.js';
import { service } from './service.js';
import { testService } from './test-service.js';

/** A hand-written Standard Schema whose validation is asynchronous (like a remote lookup). */
function asyncPositive(): StandardSchemaV1<number, number> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: async (value) =>
        typeof value === 'number' && value > 0
          ? { value }
          : { issues: [{ message: 'must be positive', path: [{ key: 'n' }, 0, Symbol.for('s')] }] },
    },
  };
}

function throwingSchema(): StandardSchemaV1<unknown, unknown> {
  return {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: () => {
        throw new Error('validator bug');
      },
    },
  };
}

const svc = service('s', {
  double: method({ input: asyncPositive(), handler: (n) => n * 2 }),
  broken: method({ input: throwingSchema(), handler: () => 1 }),
  asyncOut: method({ output: asyncPositive(), handler: () => 1 }),
});

it('supports asynchronous input validation', async () => {
  const t = testService(svc);
  await t.call('double', 21).expectOutput(42);
  const err = await t.call('double', -1).expectError('INVALID_ARGUMENT');
  expect(err.data).toEqual({
    issues: [{ message: 'must be positive', path: ['n', 0, 'Symbol(s)'] }],
  });
  await t.close();
});

it('turns a throwing validator into INTERNAL, and refuses async output schemas loudly', async () => {
  const t = testService(svc);
  await t.call('broken', 1).expectError('INTERNAL');
  await t.call('asyncOut').expectError('INTERNAL');
  await t.close();
});

it('bounds the issues sent to clients and omits JSON Schema when unavailable', () => {
  const many = Array.from({ length: 100 }, (_, i) => ({ message: `m${i}` }));
  expect(toWireIssues(many)).toHaveLength(32);
  expect(jsonSchemaOf(asyncPositive(), 'input')).toBeUndefined();
  expect(jsonSchemaOf(undefined, 'input')).toBeUndefined();
  const failing = {
    '~standard': {
      version: 1,
      vendor: 'x',
      validate: () => ({ value: 1 }),
      jsonSchema: {
        input: () => {
          throw new Error('unsupported');
        },
        output: () => ({ type: 'number' }),
      },
    },
  } as unknown as StandardSchemaV1;
  expect(jsonSchemaOf(failing, 'input')).toBeUndefined();
  expect(jsonSchemaOf(failing, 'output')).toEqual({ type: 'number' });
});
