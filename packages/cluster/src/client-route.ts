import type { MethodRouting } from './cluster-info.js';
import type { Route } from './forward-decision.js';
import { type PlacementSelector, placeBy, placementKey } from './placement.js';

const ANYWHERE: Route = Object.freeze({ kind: 'anywhere' });
const selectors = new WeakMap<MethodRouting, PlacementSelector>();

/**
 * A client's route for one call, from the routing a node published. The key
 * is read by the server's own `placementKey`, so client and cluster agree on
 * the owner whenever their member views agree.
 */
export function clientRoute(
  routing: MethodRouting | undefined,
  input: unknown,
  metadata: Readonly<Record<string, string>> | undefined,
  leaders: Readonly<Record<string, string | null>>,
): Route {
  if (routing === undefined) return ANYWHERE;
  if (routing.group !== undefined)
    return { kind: 'leader', leader: leaders[routing.group] ?? null };
  if (routing.key === undefined) return ANYWHERE;
  let sel = selectors.get(routing);
  if (sel === undefined) {
    sel = placeBy(routing.key.path, routing.key.from);
    selectors.set(routing, sel);
  }
  const key = placementKey(sel, input, metadata ?? {});
  return key === undefined ? ANYWHERE : { kind: 'keyed', key };
}
