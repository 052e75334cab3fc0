import { describe, expect, it } from 'vitest';
import { clientRoute } from './client-route.js';
import { parseClusterInfo } from './cluster-info.js';
import { firstTarget, isSafeToRepeat, type RetryContext, retryTarget } from './forward-decision.js';
import { rendezvousOwner } from './rendezvous.js';

const LIVE = ['n1', 'n2', 'n3'];
const ctx = (over: Partial<RetryContext> = {}): RetryContext => ({
  attempt: 0,
  maxRetries: 2,
  idempotent: false,
  tried: new Set(['n2']),
  live: LIVE,
  route: { kind: 'keyed', key: 'k' },
  finished: false,
  ...over,
});

describe('forwarding decisions', () => {
  it('first target: the owner, the leader, or here; a forwarded call always runs here', () => {
    expect(firstTarget({ kind: 'keyed', key: 'k' }, LIVE, false)).toBe(rendezvousOwner('k', LIVE));
    expect(firstTarget({ kind: 'leader', leader: 'n3' }, LIVE, false)).toBe('n3');
    expect(firstTarget({ kind: 'leader', leader: null }, LIVE, false)).toBeUndefined();
    expect(firstTarget({ kind: 'anywhere' }, LIVE, false)).toBeUndefined();
    expect(firstTarget({ kind: 'keyed', key: 'k' }, LIVE, true)).toBeUndefined();
    expect(firstTarget({ kind: 'leader', leader: 'n3' }, LIVE, true)).toBeUndefined();
  });

  it('repeats only what cannot run twice, unless idempotent', () => {
    expect(isSafeToRepeat({ code: 'NOT_LEADER', maybeExecuted: false }, false)).toBe(true);
    expect(isSafeToRepeat({ code: 'UNAVAILABLE', maybeExecuted: false }, false)).toBe(true);
    expect(isSafeToRepeat({ code: 'UNAVAILABLE', maybeExecuted: true }, false)).toBe(false);
    expect(isSafeToRepeat({ code: 'UNAVAILABLE', maybeExecuted: true }, true)).toBe(true);
    expect(isSafeToRepeat({ code: 'DEADLINE_EXCEEDED', maybeExecuted: true }, true)).toBe(false);
    expect(isSafeToRepeat({ code: 'INVALID_ARGUMENT', maybeExecuted: false }, true)).toBe(false);
  });

  it('retries at the next owner, the named leader, or not at all', () => {
    const unsent = { code: 'UNAVAILABLE', maybeExecuted: false };
    expect(retryTarget(unsent, ctx())).toBe(rendezvousOwner('k', ['n1', 'n3']));
    expect(retryTarget({ code: 'UNAVAILABLE', maybeExecuted: true }, ctx())).toBeUndefined();
    expect(
      retryTarget({ code: 'UNAVAILABLE', maybeExecuted: true }, ctx({ idempotent: true })),
    ).toBe(rendezvousOwner('k', ['n1', 'n3']));
    expect(retryTarget({ code: 'NOT_LEADER', maybeExecuted: false, leaderHint: 'n3' }, ctx())).toBe(
      'n3',
    );
    // A hint naming a node already tried would loop: stop.
    expect(
      retryTarget({ code: 'NOT_LEADER', maybeExecuted: false, leaderHint: 'n2' }, ctx()),
    ).toBeUndefined();
    expect(retryTarget(unsent, ctx({ attempt: 2 }))).toBeUndefined();
    expect(retryTarget(unsent, ctx({ finished: true }))).toBeUndefined();
    expect(retryTarget(unsent, ctx({ tried: new Set(LIVE) }))).toBeUndefined();
    expect(retryTarget(unsent, ctx({ route: { kind: 'leader', leader: 'n1' } }))).toBe('n1');
  });
});

describe('client routing', () => {
  it('reads the key the way the server does', () => {
    const keyed = {
      kind: 'unary' as const,
      idempotent: false,
      key: { from: 'input' as const, path: 'user.id' },
    };
    expect(clientRoute(keyed, { user: { id: 7 } }, {}, {})).toEqual({ kind: 'keyed', key: '7' });
    expect(clientRoute(keyed, { user: {} }, {}, {})).toEqual({ kind: 'anywhere' });
    const byMeta = {
      kind: 'bidi' as const,
      idempotent: false,
      key: { from: 'metadata' as const, path: 'acct' },
    };
    expect(clientRoute(byMeta, undefined, { acct: 'a' }, {})).toEqual({ kind: 'keyed', key: 'a' });
    const replicated = { kind: 'unary' as const, idempotent: false, group: 'kv' };
    expect(clientRoute(replicated, {}, {}, { kv: 'n2' })).toEqual({ kind: 'leader', leader: 'n2' });
    expect(clientRoute(undefined, {}, {}, {})).toEqual({ kind: 'anywhere' });
  });

  it('never trusts a malformed cluster.info', () => {
    const good = {
      self: 'n1',
      members: [{ id: 'n1', status: 'alive', gateways: { tcp: '127.0.0.1:1' } }],
      live: ['n1'],
      leaders: { kv: null },
      methods: { 'a.b': { kind: 'unary', idempotent: true, key: { from: 'input', path: 'id' } } },
    };
    expect(parseClusterInfo(good)?.methods['a.b']?.key?.path).toBe('id');
    for (const bad of [
      null,
      { ...good, self: 'bad id!' },
      { ...good, live: 'n1' },
      { ...good, members: [{ id: 'n1', status: 'zombie', gateways: {} }] },
      { ...good, methods: { x: { kind: 'unary', idempotent: 'yes' } } },
      {
        ...good,
        methods: { x: { kind: 'unary', idempotent: true, key: { from: 'input', path: '../x' } } },
      },
      { ...good, leaders: { kv: 42 } },
    ]) {
      expect(parseClusterInfo(bad)).toBeUndefined();
    }
  });
});
