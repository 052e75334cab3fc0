import { defaultCodec } from '@switchyard/codec';
import type { StateMachine } from './raft-node.js';

/** Commands of the example key-value store. */
export type KvCommand =
  | { readonly op: 'put'; readonly key: string; readonly value: unknown }
  | { readonly op: 'delete'; readonly key: string }
  | {
      readonly op: 'cas';
      readonly key: string;
      readonly expected: unknown;
      readonly value: unknown;
    };

/**
 * A replicated map: the smallest useful state machine, used by the README,
 * tests and the benchmark. `put`/`delete` return the previous value, `cas`
 * whether it swapped; a query is a key.
 */
export class KvStateMachine implements StateMachine<KvCommand, unknown, string, unknown> {
  readonly map = new Map<string, unknown>();

  apply(c: KvCommand): unknown {
    const prev = this.map.get(c.key);
    switch (c.op) {
      case 'put':
        this.map.set(c.key, c.value);
        return prev ?? null;
      case 'delete':
        this.map.delete(c.key);
        return prev ?? null;
      case 'cas': {
        const match = (prev ?? null) === c.expected;
        if (match) this.map.set(c.key, c.value);
        return match;
      }
      default:
        throw new TypeError('unknown kv command');
    }
  }

  query(key: string): unknown {
    return this.map.get(key) ?? null;
  }

  snapshot(): Uint8Array {
    return defaultCodec.encode([...this.map]).slice();
  }

  restore(data: Uint8Array): void {
    this.map.clear();
    for (const [k, v] of defaultCodec.decode(data) as [string, unknown][]) this.map.set(k, v);
  }
}
