import { type ErrorCode, isErrorCode, SwitchyardError } from '@switchyard/stream';
import type { ForwardReply } from './transport.js';
import type { NodeId } from './types.js';

/**
 * Proposal forwarding, as decisions: how the leader turns the outcome of a
 * forwarded proposal into a reply, and how the follower turns a reply or a
 * transport failure into its caller's answer. The rule they keep: a caller
 * is told "safe to retry" only when the command provably was not appended;
 * whenever it may have been (the leader died or the link broke mid-call),
 * the answer is UNKNOWN or DEADLINE_EXCEEDED, never a silent retry, so a
 * command is never applied twice because of forwarding.
 */

/** Leader side: a refusal before anything was appended (NOT_LEADER, RESOURCE_EXHAUSTED, …). */
export function refusedReply(error: SwitchyardError, leaderHint: NodeId | null): ForwardReply {
  return { ok: false, code: error.code, message: error.message, leaderHint, outcome: 'refused' };
}

/**
 * Leader side: an appended proposal that did not resolve with a result.
 * `known` is true when its fate is certain (overwritten, or applied and the
 * state machine threw); otherwise it may still commit.
 */
export function failedReply(
  error: SwitchyardError,
  known: boolean,
  leaderHint: NodeId | null,
): ForwardReply {
  return {
    ok: false,
    code: error.code,
    message: error.message,
    leaderHint,
    outcome: known ? 'failed' : 'unknown',
  };
}

/** Follower side: the caller's error for a reply that is not a result. */
export function replyError(reply: Exclude<ForwardReply, { ok: true }>): SwitchyardError {
  const code: ErrorCode = isErrorCode(reply.code) ? reply.code : 'UNKNOWN';
  const data = { leaderHint: reply.leaderHint, forwarded: true };
  if (reply.outcome !== 'unknown') return new SwitchyardError(code, reply.message, { data });
  if (code === 'DEADLINE_EXCEEDED') {
    return new SwitchyardError(
      'DEADLINE_EXCEEDED',
      'forwarded proposal timed out at the leader; it may still commit',
      { data: { ...data, outcome: 'unknown' } },
    );
  }
  return unknownOutcome(`the leader could not finish it (${reply.message})`, reply.leaderHint);
}

/**
 * Follower side: the caller's error when the forward itself failed.
 * `notSent` errors (never reached the leader) become NOT_LEADER with the
 * hint, exactly what the caller would have got without forwarding.
 */
export function transportError(
  error: unknown,
  leader: NodeId,
  currentLeader: NodeId | null,
): SwitchyardError {
  const e = SwitchyardError.from(error);
  const sent = (e.data as { sent?: unknown } | undefined)?.sent;
  if (sent === false) {
    return new SwitchyardError('NOT_LEADER', `not the leader; try ${leader} (${e.message})`, {
      data: { leaderHint: leader },
    });
  }
  if (e.code === 'DEADLINE_EXCEEDED') {
    return new SwitchyardError(
      'DEADLINE_EXCEEDED',
      'forwarded proposal timed out; it may still commit',
      { data: { leaderHint: currentLeader, forwarded: true, outcome: 'unknown' } },
    );
  }
  return unknownOutcome(`lost the leader ${leader} mid-call (${e.message})`, currentLeader);
}

function unknownOutcome(why: string, leaderHint: NodeId | null): SwitchyardError {
  return new SwitchyardError(
    'UNKNOWN',
    `forwarded proposal outcome unknown: ${why}; it may have been applied, do not retry blindly`,
    { data: { leaderHint, forwarded: true, outcome: 'unknown' } },
  );
}
