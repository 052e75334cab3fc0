import type { MethodEntry } from './method-entry.js';
import type { Middleware } from './middleware.js';
import type { StandardSchemaV1 } from './schema.js';

/** Everything dispatch needs about one method, resolved once at edge creation. */
export interface MethodRuntime {
  readonly entry: MethodEntry;
  readonly handler: (input: any, ctx: any) => unknown;
  readonly input: StandardSchemaV1 | undefined;
  readonly output: StandardSchemaV1 | undefined;
  /** Milliseconds; Infinity for none. */
  readonly timeout: number;
  /** Edge, then service, then method middleware. */
  readonly middleware: readonly Middleware[];
  /** Per middleware: may it call next() again after the previous call settled. */
  readonly reentrant: readonly boolean[];
  readonly streamsIn: boolean;
  readonly streamsOut: boolean;
}
