import type { MethodDef, MethodKind } from './method.js';
import type { Middleware } from './middleware.js';

/**
 * The constraint for a service's methods. Deliberately not `MethodDef<any, …>`:
 * that contextual type would make TypeScript infer `any` for the input of a
 * method without a schema defined inline in `service()`.
 */
export interface MethodLike {
  readonly kind: MethodKind;
  readonly handler: Function;
}

export interface ServiceDef<
  N extends string = string,
  M extends Record<string, MethodLike> = Record<string, MethodDef<any, any, any>>,
> {
  readonly name: N;
  readonly methods: M;
  readonly middleware: readonly Middleware[];
  readonly description: string | undefined;
}

export interface ServiceOptions {
  /** Runs for every method of the service, after edge middleware, before method middleware. */
  middleware?: readonly Middleware[];
  description?: string;
}

const SERVICE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;
const METHOD_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Groups methods under a name; each method is reachable as `name.method`. */
export function service<const N extends string, M extends Record<string, MethodLike>>(
  name: N,
  methods: M,
  options: ServiceOptions = {},
): ServiceDef<N, M> {
  if (typeof name !== 'string' || !SERVICE_NAME.test(name) || name.length > 100) {
    throw new TypeError(
      `service(): invalid name ${JSON.stringify(name)} (identifiers joined by '.')`,
    );
  }
  if (typeof methods !== 'object' || methods === null) {
    throw new TypeError(`service('${name}'): methods must be an object`);
  }
  for (const [key, def] of Object.entries(methods)) {
    if (!METHOD_NAME.test(key))
      throw new TypeError(`service('${name}'): invalid method name '${key}'`);
    if (typeof def !== 'object' || def === null || typeof def.handler !== 'function') {
      throw new TypeError(`service('${name}'): '${key}' must be built with method()`);
    }
  }
  return Object.freeze({
    name,
    methods: Object.freeze({ ...methods }),
    middleware: Object.freeze([...(options.middleware ?? [])]),
    description: options.description,
  });
}
