import type { Model } from './model.js';
import { show, valueEqual, valueKey } from './value-equal.js';

/**
 * Register operations. Outputs: read → the value read; write → anything
 * (ignored); cas → true if it swapped.
 */
export type RegisterInput<V> =
  | { op: 'read' }
  | { op: 'write'; value: V }
  | { op: 'cas'; expected: V; value: V };

/** A single read/write/compare-and-swap register starting at `initial`. */
export function registerModel<V>(initial: V): Model<V, RegisterInput<V>, unknown> {
  return {
    init: () => initial,
    step(state, input, output) {
      switch (input.op) {
        case 'read':
          return [output === undefined || valueEqual(output, state), state];
        case 'write':
          return [true, input.value];
        case 'cas': {
          const match = valueEqual(state, input.expected);
          if (output === undefined) return [true, match ? input.value : state];
          if (output !== true && output !== false) return [false, state];
          return [output === match, match ? input.value : state];
        }
        default:
          throw new TypeError(
            `register: unknown op ${JSON.stringify((input as { op?: unknown }).op)}`,
          );
      }
    },
    readOnly: (input, output) => input.op === 'read' || (input.op === 'cas' && output === false),
    hash: valueKey,
    equal: valueEqual,
    describe(input, output) {
      switch (input.op) {
        case 'read':
          return `read → ${show(output)}`;
        case 'write':
          return `write(${show(input.value)})`;
        case 'cas':
          return `cas(${show(input.expected)}, ${show(input.value)}) → ${show(output)}`;
      }
    },
    describeState: show,
  };
}
