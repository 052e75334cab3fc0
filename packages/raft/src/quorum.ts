import type { ConfState, NodeId } from './types.js';

export type VoteResult = 'won' | 'lost' | 'pending';

/**
 * The highest index acknowledged by a majority of `voters`. An empty set
 * imposes no constraint (Infinity) so the outgoing half of a non-joint config
 * drops out of the minimum below.
 */
export function majorityIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  const values = voters.map(matchOf).sort((a, b) => b - a);
  return values[Math.floor(voters.length / 2)] ?? 0;
}

/** Committed index under a (possibly joint) config: both majorities must hold it. */
export function quorumIndex(conf: ConfState, matchOf: (id: NodeId) => number): number {
  const v = Math.min(
    majorityIndex(conf.voters, matchOf),
    majorityIndex(conf.votersOutgoing, matchOf),
  );
  return Number.isFinite(v) ? v : 0;
}

function majorityVote(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  if (voters.length === 0) return 'won';
  let yes = 0;
  let missing = 0;
  for (const id of voters) {
    const v = votes.get(id);
    if (v === undefined) missing++;
    else if (v) yes++;
  }
  const q = Math.floor(voters.length / 2) + 1;
  if (yes >= q) return 'won';
  if (yes + missing >= q) return 'pending';
  return 'lost';
}

/** Election (or ReadIndex acknowledgement) outcome under a possibly joint config. */
export function voteResult(conf: ConfState, votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  const a = majorityVote(conf.voters, votes);
  const b = majorityVote(conf.votersOutgoing, votes);
  if (a === 'won' && b === 'won') return 'won';
  if (a === 'lost' || b === 'lost') return 'lost';
  return 'pending';
}
