import type { MethodEntry, Selector } from '@switchyard/core';
import { defineSelector } from '@switchyard/core';

/**
 * Marks a method of a replicated service to run on whichever node received it
 * (e.g. a stale or follower read) instead of on the group leader.
 */
export function runLocally(): Selector<'cluster-local'> {
  return defineSelector('cluster-local', {});
}

export function runsLocally(entry: MethodEntry): boolean {
  for (const s of entry.selectors) if (s.kind === 'cluster-local') return true;
  return false;
}
