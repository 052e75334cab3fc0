import type { MethodKind } from './method.js';
import type { StandardSchemaV1 } from './schema.js';
import type { Selector } from './selectors.js';

/**
 * A method as the edge serves it: what gateways `register()` and what they pass
 * back to `host.dispatch()`. Passing the entry itself (rather than a name) is
 * the fastest dispatch path: no lookup at all.
 */
export interface MethodEntry {
  /** Dense numeric id, stable for one edge instance (order of services and methods). */
  readonly id: number;
  /** Canonical name, `service.method`; always reachable over RPC. */
  readonly name: string;
  readonly service: string;
  readonly method: string;
  readonly kind: MethodKind;
  readonly selectors: readonly Selector[];
  /** Every RPC name it answers to: the canonical name first, then its rpc() selectors. */
  readonly rpcNames: readonly string[];
  readonly idempotent: boolean;
  /** Milliseconds, or undefined for the edge default. */
  readonly timeout: number | undefined;
  readonly input: StandardSchemaV1 | undefined;
  readonly output: StandardSchemaV1 | undefined;
  readonly description: string | undefined;
}
