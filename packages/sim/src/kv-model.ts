import type { Model } from './model.js';
import { show, valueEqual, valueKey } from './value-equal.js';

/**
 * Key-value operations. Outputs: get → the value, or null when the key is
 * absent; put/delete → anything (ignored); cas → true if it swapped. (null,
 * not undefined, marks absence: undefined means "unknown", i.e. pending.)
 */
export type KvInput<V> =
  | { op: 'get'; key: string }
  | { op: 'put'; key: string; value: V }
  | { op: 'delete'; key: string }
  | { op: 'cas'; key: string; expected: V | null; value: V };

/**
 * A key-value map, partitioned by key: each key is checked as its own
 * register, which keeps the search small (P-compositionality). The state of
 * a part is the key's value, or null when absent.
 */
export function kvModel<V = unknown>(): Model<V | null, KvInput<V>, unknown> {
  return {
    init: () => null,
    partition: (input) => input.key,
    step(state, input, output) {
      switch (input.op) {
        case 'get':
          return [output === undefined || valueEqual(output, state), state];
        case 'put':
          return [true, input.value];
        case 'delete':
          return [true, null];
        case 'cas': {
          const match = valueEqual(state, input.expected);
          if (output === undefined) return [true, match ? input.value : state];
          if (output !== true && output !== false) return [false, state];
          return [output === match, match ? input.value : state];
        }
        default:
          throw new TypeError(`kv: unknown op ${JSON.stringify((input as { op?: unknown }).op)}`);
      }
    },
    readOnly: (input, output) => input.op === 'get' || (input.op === 'cas' && output === false),
    hash: valueKey,
    equal: valueEqual,
    describe(input, output) {
      switch (input.op) {
        case 'get':
          return `get(${input.key}) → ${show(output)}`;
        case 'put':
          return `put(${input.key}, ${show(input.value)})`;
        case 'delete':
          return `delete(${input.key})`;
        case 'cas':
          return `cas(${input.key}, ${show(input.expected)}, ${show(input.value)}) → ${show(output)}`;
      }
    },
    describeState: show,
  };
}
