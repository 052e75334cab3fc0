/**
 * Selectors say how a method is reached. A method carries any number of them;
 * each gateway registers the kinds it understands and ignores the rest, so a
 * third-party gateway (GraphQL, MQTT, …) can add its own kind with
 * `defineSelector` without touching core.
 */
export interface Selector<K extends string = string> {
  readonly kind: K;
}

/** `rpc('echo.hello')`: a name (and, per edge, a numeric id) for stream-protocol gateways. */
export interface RpcSelector extends Selector<'rpc'> {
  readonly name: string;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

/** `rest('GET', '/echo/:id')`: an HTTP route; `:name` segments become input fields. */
export interface RestSelector extends Selector<'rest'> {
  readonly method: HttpMethod;
  readonly path: string;
}

const HTTP_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'POST',
  'PUT',
  'PATCH',
  'DELETE',
  'HEAD',
  'OPTIONS',
]);

/** Allowed in an rpc name: the dotted canonical form plus a few separators. */
const RPC_NAME = /^[A-Za-z0-9_.:/-]{1,200}$/;

export function rpc(name: string): RpcSelector {
  if (typeof name !== 'string' || !RPC_NAME.test(name)) {
    throw new TypeError(
      `rpc(): invalid name ${JSON.stringify(name)} (1-200 chars of A-Z a-z 0-9 _ . : / -)`,
    );
  }
  return Object.freeze({ kind: 'rpc', name });
}

export function rest(method: HttpMethod, path: string): RestSelector {
  const upper = typeof method === 'string' ? method.toUpperCase() : '';
  if (!HTTP_METHODS.has(upper)) {
    throw new TypeError(`rest(): unknown HTTP method ${JSON.stringify(method)}`);
  }
  if (typeof path !== 'string' || !path.startsWith('/') || /\s/.test(path)) {
    throw new TypeError(
      `rest(): path must start with '/' and hold no spaces: ${JSON.stringify(path)}`,
    );
  }
  return Object.freeze({ kind: 'rest', method: upper as HttpMethod, path });
}

/**
 * Builds a selector of a custom kind for a third-party gateway. The data must be
 * plain JSON so `describe()` can publish it.
 * `const topic = (name: string) => defineSelector('mqtt', { topic: name });`
 */
export function defineSelector<K extends string, D extends Record<string, unknown>>(
  kind: K,
  data: D,
): Selector<K> & Readonly<D> {
  if (typeof kind !== 'string' || kind.length === 0) {
    throw new TypeError('defineSelector(): kind must be a non-empty string');
  }
  if ('kind' in data) throw new TypeError("defineSelector(): data must not hold a 'kind' field");
  return Object.freeze({ ...data, kind }) as Selector<K> & Readonly<D>;
}

export function isRpcSelector(s: Selector): s is RpcSelector {
  return s.kind === 'rpc';
}

export function isRestSelector(s: Selector): s is RestSelector {
  return s.kind === 'rest';
}

/** The `:param` names of a REST path, in order. */
export function restParams(path: string): string[] {
  const out: string[] = [];
  for (const seg of path.split('/'))
    if (seg.startsWith(':') && seg.length > 1) out.push(seg.slice(1));
  return out;
}
