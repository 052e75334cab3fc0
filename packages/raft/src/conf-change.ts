import type { ConfChange, ConfState, NodeId } from './types.js';

/** Thrown for a membership change that would break a safety rule; the proposal is refused. */
export class ConfChangeError extends Error {
  override readonly name = 'ConfChangeError';
}

export function emptyConfState(): ConfState {
  return { voters: [], votersOutgoing: [], learners: [], learnersNext: [], autoLeave: false };
}

export function isJoint(c: ConfState): boolean {
  return c.votersOutgoing.length > 0;
}

/** Every node that takes part in replication (voters of both halves and learners). */
export function allMembers(c: ConfState): NodeId[] {
  return [...new Set([...c.voters, ...c.votersOutgoing, ...c.learners, ...c.learnersNext])];
}

export function isVoter(c: ConfState, id: NodeId): boolean {
  return c.voters.includes(id) || c.votersOutgoing.includes(id);
}

/** Whether applying `cc` needs joint consensus (more than one voter changes, or asked for). */
export function needsJoint(c: ConfState, cc: ConfChange): boolean {
  if (cc.transition === 'joint') return true;
  if (cc.changes.length === 0) return false;
  const next = applyItems(new Set(c.voters), new Set(c.learners), cc);
  return symmetricDifference(new Set(c.voters), next.voters) > 1;
}

/**
 * Applies a change to a configuration. Single-step changes alter at most one
 * voter, so any majority of the old and the new set intersect (Raft thesis §4.1);
 * anything larger enters a joint config whose decisions need both majorities.
 */
export function applyConfChange(c: ConfState, cc: ConfChange): ConfState {
  if (cc.changes.length === 0) {
    if (!isJoint(c)) throw new ConfChangeError('not in a joint configuration: nothing to leave');
    return leaveJoint(c);
  }
  if (isJoint(c))
    throw new ConfChangeError('a joint configuration must be left before another change');
  const oldVoters = new Set(c.voters);
  const next = applyItems(new Set(c.voters), new Set(c.learners), cc);
  if (next.voters.size === 0) throw new ConfChangeError('removing every voter is not allowed');
  if (cc.transition !== 'joint' && symmetricDifference(oldVoters, next.voters) <= 1) {
    return {
      voters: [...next.voters].sort(),
      votersOutgoing: [],
      learners: [...next.learners].sort(),
      learnersNext: [],
      autoLeave: false,
    };
  }
  // Joint: a voter demoted to learner stays in the outgoing half until the
  // transition ends, so it must not appear as a learner yet.
  const learners = new Set<NodeId>();
  const learnersNext = new Set<NodeId>();
  for (const l of next.learners) (oldVoters.has(l) ? learnersNext : learners).add(l);
  return {
    voters: [...next.voters].sort(),
    votersOutgoing: [...oldVoters].sort(),
    learners: [...learners].sort(),
    learnersNext: [...learnersNext].sort(),
    autoLeave: cc.transition !== 'joint',
  };
}

function leaveJoint(c: ConfState): ConfState {
  const learners = new Set([...c.learners, ...c.learnersNext]);
  for (const v of c.voters) learners.delete(v);
  return {
    voters: [...c.voters],
    votersOutgoing: [],
    learners: [...learners].sort(),
    learnersNext: [],
    autoLeave: false,
  };
}

function applyItems(
  voters: Set<NodeId>,
  learners: Set<NodeId>,
  cc: ConfChange,
): { voters: Set<NodeId>; learners: Set<NodeId> } {
  for (const ch of cc.changes) {
    if (typeof ch.node !== 'string' || ch.node.length === 0) {
      throw new ConfChangeError('a membership change needs a node id');
    }
    switch (ch.type) {
      case 'addVoter':
        learners.delete(ch.node);
        voters.add(ch.node);
        break;
      case 'addLearner':
        voters.delete(ch.node);
        learners.add(ch.node);
        break;
      case 'removeNode':
        voters.delete(ch.node);
        learners.delete(ch.node);
        break;
      default:
        throw new ConfChangeError(`unknown change type ${(ch as { type: string }).type}`);
    }
  }
  return { voters, learners };
}

function symmetricDifference(a: Set<NodeId>, b: Set<NodeId>): number {
  let n = 0;
  for (const x of a) if (!b.has(x)) n++;
  for (const x of b) if (!a.has(x)) n++;
  return n;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Config entries are JSON so the core stays free of codec dependencies; they are rare and small. */
export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encoder.encode(JSON.stringify(cc));
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  const parsed = JSON.parse(decoder.decode(data)) as ConfChange;
  if (!parsed || !Array.isArray(parsed.changes))
    throw new ConfChangeError('malformed config entry');
  return parsed;
}
