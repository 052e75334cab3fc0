import { isMaybeExecuted, SwitchyardError } from '@switchyard/stream';
import { rendezvousOwner } from './rendezvous.js';

/**
 * The forwarding decisions, pure: where a call goes first and where it goes
 * after a failed attempt. The cluster node (server side), the cluster-aware
 * client and the forwarding simulation all decide with these two functions,
 * so what the simulation checks over many seeds is what runs.
 */

/** Where a call belongs, as far as the deciding node knows. */
export type Route =
  /** A keyed method: the rendezvous owner of `key` among the live members. */
  | { readonly kind: 'keyed'; readonly key: string }
  /** A replicated service: its group's leader (null while electing). */
  | { readonly kind: 'leader'; readonly leader: string | null }
  /** No placement: wherever it arrived. */
  | { readonly kind: 'anywhere' };

/**
 * The node that should run a call, or undefined to run it on the deciding
 * node. A call that was already forwarded runs where it is, whatever this
 * node's view says: that is what makes "never forwarded twice" hold even
 * while two nodes disagree about the owner.
 */
export function firstTarget(
  route: Route,
  live: readonly string[],
  alreadyForwarded: boolean,
): string | undefined {
  if (alreadyForwarded) return undefined;
  switch (route.kind) {
    case 'keyed':
      return rendezvousOwner(route.key, live);
    case 'leader':
      return route.leader ?? undefined;
    case 'anywhere':
      return undefined;
  }
}

/** How one attempt failed. */
export interface FailedAttempt {
  /** The SwitchyardError code. */
  readonly code: string;
  /** The request may have run at the target (it was sent, then the link failed). */
  readonly maybeExecuted: boolean;
  /** From a NOT_LEADER answer: the leader the refusing node knows. */
  readonly leaderHint?: string | undefined;
}

export interface RetryContext {
  /** Attempts made so far, the failed one included, minus one (0 after the first). */
  readonly attempt: number;
  /** Extra attempts allowed after the first. */
  readonly maxRetries: number;
  readonly idempotent: boolean;
  /** Nodes already tried for this call. */
  readonly tried: ReadonlySet<string>;
  /** The deciding node's live members now. */
  readonly live: readonly string[];
  /** The call's route now (a leader route carries the current leader). */
  readonly route: Route;
  /** Deadline passed or the caller cancelled: nothing more is tried. */
  readonly finished: boolean;
}

/**
 * Whether sending the call again cannot run it twice where that matters:
 * a NOT_LEADER refusal never ran; an UNAVAILABLE that never left this side
 * never ran; one that may have run is repeated only for idempotent methods.
 */
export function isSafeToRepeat(failure: FailedAttempt, idempotent: boolean): boolean {
  if (failure.code === 'NOT_LEADER') return true;
  if (failure.code !== 'UNAVAILABLE') return false;
  return !failure.maybeExecuted || idempotent;
}

/**
 * The node to try next after a failed attempt, or undefined to give the
 * caller this failure. Retry only what is safe (DESIGN.md principle 6):
 * a NOT_LEADER refusal never ran, so any method goes to the named leader;
 * UNAVAILABLE goes to the next owner only if the call provably never left,
 * or the method is idempotent.
 */
export function retryTarget(failure: FailedAttempt, ctx: RetryContext): string | undefined {
  if (ctx.attempt >= ctx.maxRetries || ctx.finished) return undefined;
  if (!isSafeToRepeat(failure, ctx.idempotent)) return undefined;
  if (failure.code === 'NOT_LEADER') {
    const hint = failure.leaderHint;
    return hint !== undefined && !ctx.tried.has(hint) ? hint : undefined;
  }
  const route = ctx.route;
  switch (route.kind) {
    case 'leader':
      return route.leader !== null && !ctx.tried.has(route.leader) ? route.leader : undefined;
    case 'keyed':
      return rendezvousOwner(
        route.key,
        ctx.live.filter((id) => !ctx.tried.has(id)),
      );
    case 'anywhere':
      return ctx.live.find((id) => !ctx.tried.has(id));
  }
}

/** A failed attempt as the decisions see it; anything not a SwitchyardError is final. */
export function failureOf(error: unknown): FailedAttempt {
  if (!(error instanceof SwitchyardError)) return { code: 'UNKNOWN', maybeExecuted: true };
  const hint = (error.data as { leaderHint?: unknown } | undefined)?.leaderHint;
  return {
    code: error.code,
    maybeExecuted: isMaybeExecuted(error),
    leaderHint: typeof hint === 'string' ? hint : undefined,
  };
}
