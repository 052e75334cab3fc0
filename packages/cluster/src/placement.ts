import type { Metadata, MethodEntry, Selector } from '@switchyard/core';
import { defineSelector } from '@switchyard/core';

/**
 * Where a method's placement key comes from: a field of the input (dotted
 * path) or a metadata entry. Plain data, so `describe()` can publish it and
 * gateways that do not know the kind ignore it.
 */
export interface PlacementSelector extends Selector<'placement'> {
  readonly from: 'input' | 'metadata';
  readonly path: readonly string[];
}

const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

/**
 * Declares the key that places a method's calls on one node:
 * `placeBy('user.id')` reads `input.user.id`, `placeBy('tenant', 'metadata')`
 * reads the `tenant` metadata entry. Calls with the same key run on the same
 * live node (rendezvous hashing); a call arriving elsewhere is forwarded.
 */
export function placeBy(path: string, from: 'input' | 'metadata' = 'input'): PlacementSelector {
  if (typeof path !== 'string' || !PATH.test(path)) {
    throw new TypeError(`placeBy(): invalid path ${JSON.stringify(path)} (dotted field names)`);
  }
  if (from !== 'input' && from !== 'metadata') {
    throw new TypeError(
      `placeBy(): from must be 'input' or 'metadata', got ${JSON.stringify(from)}`,
    );
  }
  const parts = from === 'metadata' ? [path] : path.split('.');
  return defineSelector('placement', { from, path: Object.freeze(parts) }) as PlacementSelector;
}

export function placementOf(entry: MethodEntry): PlacementSelector | undefined {
  for (const s of entry.selectors) if (s.kind === 'placement') return s as PlacementSelector;
  return undefined;
}

/**
 * The placement key of one call, as a string; undefined when the method has no
 * selector or the field is missing (the call then runs where it arrived).
 */
export function placementKey(
  selector: PlacementSelector,
  input: unknown,
  metadata: Metadata,
): string | undefined {
  let v: unknown;
  if (selector.from === 'metadata') {
    v = metadata[selector.path[0] as string];
  } else {
    v = input;
    for (const p of selector.path) {
      if (typeof v !== 'object' || v === null) return undefined;
      v = (v as Record<string, unknown>)[p];
    }
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return undefined;
}
