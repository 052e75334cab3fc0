import { forEachSeed, Network, type Prng, Scheduler } from '@switchyard/sim';
import { describe, expect, it } from 'vitest';
import { type FailedAttempt, firstTarget, type Route, retryTarget } from './forward-decision.js';
import { rendezvousOwner } from './rendezvous.js';

/**
 * Forwarding of keyed calls under node crashes, restarts and partitions, in
 * virtual time (@switchyard/sim's scheduler, network and PRNG). Each node
 * decides with the same pure `firstTarget` / `retryTarget` as cluster-node.ts,
 * over its own, lagging view of the live members. The connection model is
 * the inter-node TCP session's: a connect to a down or unreachable node fails
 * before anything is sent; a crash resets the connection (pending calls fail
 * "maybe executed"); a partition is noticed by the keepalive.
 *
 * Checked for every request: the caller gets exactly one answer; success
 * means it ran (exactly once for a non-idempotent method); failure is
 * UNAVAILABLE or DEADLINE_EXCEEDED and a non-idempotent method ran at most
 * once; a forwarded call is never forwarded again; nothing is left pending.
 * After the faults stop and views settle, every call runs exactly once on
 * the true owner. Seeds: SEED=… replays one, SIM_SEEDS=n runs more.
 */

const MAX_RETRIES = 2;
const CONNECT_TIMEOUT = 1000;
const KEEPALIVE = 3000;
const DEADLINE = 5000;
const FAULTS_UNTIL = 8000;
const VIEW_REFRESH = [250, 750] as const;

type Msg =
  | { type: 'fwd'; req: number; attempt: number; key: string; epoch: number }
  | { type: 'reply'; req: number; attempt: number; epoch: number };

interface Request {
  id: number;
  key: string;
  idempotent: boolean;
  entry: string;
  /** Where it ran, in order. */
  ran: string[];
  outcome: 'ok' | string | undefined;
  /** Phase 2 (quiet) requests must run on the true owner. */
  quiet: boolean;
}

interface Attempt {
  id: number;
  req: Request;
  target: string;
  tried: Set<string>;
  n: number;
}

interface SimNode {
  id: string;
  up: boolean;
  epoch: number;
  view: string[];
  /** Attempts this node sent and still waits for, by attempt id. */
  pending: Map<number, Attempt>;
}

function runScenario(rng: Prng): { requests: number; ok: number; failed: number } {
  const sched = new Scheduler({ maxSteps: 2_000_000 });
  const net = new Network<Msg>(sched, rng.fork(), { defaults: { fifo: true } });
  const ids = Array.from({ length: rng.int(3, 5) }, (_, i) => `n${i + 1}`);
  const nodes = new Map<string, SimNode>();
  const requests: Request[] = [];
  let nextAttempt = 1;

  const reachable = (a: string, b: string): boolean =>
    a === b || (net.isUp(a) && net.isUp(b) && net.connected(a, b) && net.connected(b, a));

  const resolve = (req: Request, outcome: string): void => {
    if (req.outcome !== undefined) {
      throw new Error(`request ${req.id} answered twice (${req.outcome}, then ${outcome})`);
    }
    req.outcome = outcome;
  };

  const run = (node: SimNode, req: Request): void => {
    req.ran.push(node.id);
  };

  /** The entry node's next step for `req` after a failed attempt (or at the start). */
  const tryAt = (
    entry: SimNode,
    req: Request,
    target: string | undefined,
    tried: Set<string>,
    n: number,
  ): void => {
    if (req.outcome !== undefined) return;
    if (target === undefined || target === entry.id) {
      run(entry, req);
      resolve(req, 'ok');
      return;
    }
    tried.add(target);
    const attempt: Attempt = { id: nextAttempt++, req, target, tried, n };
    const fail = (failure: FailedAttempt): void => {
      if (entry.pending.get(attempt.id) !== attempt) return;
      entry.pending.delete(attempt.id);
      if (req.outcome !== undefined) return;
      const route: Route = { kind: 'keyed', key: req.key };
      const next = retryTarget(failure, {
        attempt: n,
        maxRetries: MAX_RETRIES,
        idempotent: req.idempotent,
        tried,
        live: entry.view,
        route,
        finished: false,
      });
      if (next === undefined) resolve(req, failure.code);
      else tryAt(entry, req, next, tried, n + 1);
    };
    entry.pending.set(attempt.id, attempt);
    const to = nodes.get(target) as SimNode;
    if (!reachable(entry.id, target)) {
      // Refused at once by a down host, or no answer to the connect: nothing was sent.
      const delay = net.isUp(target) ? CONNECT_TIMEOUT : rng.int(1, 5);
      sched.setTimer(delay, () => fail({ code: 'UNAVAILABLE', maybeExecuted: false }));
      return;
    }
    net.send(entry.id, target, {
      type: 'fwd',
      req: req.id,
      attempt: attempt.id,
      key: req.key,
      epoch: to.epoch,
    });
    // The session notices a dead or cut-off peer: reset at once, or by keepalive.
    const watch = (): void => {
      if (entry.pending.get(attempt.id) !== attempt) return;
      if (!net.isUp(target) || (nodes.get(target) as SimNode).epoch !== to.epoch) {
        fail({ code: 'UNAVAILABLE', maybeExecuted: true });
      } else if (!reachable(entry.id, target)) {
        sched.setTimer(KEEPALIVE, () => {
          if (!reachable(entry.id, target) || !net.isUp(target))
            fail({ code: 'UNAVAILABLE', maybeExecuted: true });
          else watch();
        });
      } else {
        sched.setTimer(50, watch);
      }
    };
    sched.setTimer(50, watch);
  };

  const handle = (node: SimNode, msg: Msg, from: string): void => {
    if (!node.up) return;
    if (msg.type === 'fwd') {
      // A message on a connection to an earlier incarnation never reaches this one.
      if (msg.epoch !== node.epoch) return;
      const req = requests[msg.req] as Request;
      // Never forwarded twice: a forwarded call runs here, whatever this view says.
      if (firstTarget({ kind: 'keyed', key: msg.key }, node.view, true) !== undefined) {
        throw new Error(`${node.id} would forward request ${req.id} again`);
      }
      run(node, req);
      const epoch = node.epoch;
      const sender = nodes.get(from) as SimNode;
      const senderEpoch = sender.epoch;
      // The reply goes out after some work; a crash in between loses it.
      sched.setTimer(rng.int(0, 20), () => {
        if (node.up && node.epoch === epoch)
          net.send(node.id, from, {
            type: 'reply',
            req: req.id,
            attempt: msg.attempt,
            epoch: senderEpoch,
          });
      });
      return;
    }
    if (msg.epoch !== node.epoch) return;
    const attempt = node.pending.get(msg.attempt);
    if (attempt === undefined) return;
    node.pending.delete(msg.attempt);
    if (attempt.req.outcome === undefined) resolve(attempt.req, 'ok');
  };

  for (const id of ids) {
    const node: SimNode = { id, up: true, epoch: 1, view: [...ids], pending: new Map() };
    nodes.set(id, node);
    net.addNode(id, (msg, from) => handle(node, msg, from));
  }

  // Each node's view: what it can reach, re-read every few hundred ms (the detector's lag).
  for (const node of nodes.values()) {
    const refresh = (): void => {
      if (node.up) node.view = ids.filter((o) => reachable(node.id, o));
      sched.setTimer(rng.int(...VIEW_REFRESH), refresh);
    };
    sched.setTimer(rng.int(...VIEW_REFRESH), refresh);
  }

  const crash = (node: SimNode): void => {
    node.up = false;
    node.pending.clear();
    net.setUp(node.id, false);
    // Its callers lose their connection: a pending call is UNAVAILABLE, maybe executed.
    for (const req of requests) {
      if (req.entry === node.id && req.outcome === undefined) resolve(req, 'UNAVAILABLE');
    }
  };
  const restart = (node: SimNode): void => {
    node.up = true;
    node.epoch++;
    node.view = [node.id];
    net.setUp(node.id, true);
  };

  // Faults until FAULTS_UNTIL: crashes, restarts, partitions, heals.
  const faults = (): void => {
    if (sched.now() >= FAULTS_UNTIL) return;
    const up = [...nodes.values()].filter((n) => n.up);
    const down = [...nodes.values()].filter((n) => !n.up);
    const roll = rng.int(0, 3);
    if (roll === 0 && up.length > 1) crash(rng.pick(up));
    else if (roll === 1 && down.length > 0) restart(rng.pick(down));
    else if (roll === 2) {
      const side = ids.filter(() => rng.chance(0.5));
      if (side.length > 0 && side.length < ids.length) net.partition(side);
    } else net.healPartitions();
    sched.setTimer(rng.int(300, 1200), faults);
  };
  sched.setTimer(rng.int(100, 600), faults);

  const submit = (quiet: boolean): void => {
    const entry = rng.pick(ids);
    const req: Request = {
      id: requests.length,
      key: `k${rng.int(1, 50)}`,
      idempotent: rng.chance(0.5),
      entry,
      ran: [],
      outcome: undefined,
      quiet,
    };
    requests.push(req);
    const node = nodes.get(entry) as SimNode;
    if (!node.up) {
      resolve(req, 'UNAVAILABLE'); // the client cannot connect: nothing sent
      return;
    }
    const epoch = node.epoch;
    sched.setTimer(DEADLINE, () => {
      if (req.outcome === undefined && node.up && node.epoch === epoch) {
        for (const [id, a] of node.pending) if (a.req === req) node.pending.delete(id);
        resolve(req, 'DEADLINE_EXCEEDED');
      }
    });
    const tried = new Set<string>();
    tryAt(node, req, firstTarget({ kind: 'keyed', key: req.key }, node.view, false), tried, 0);
  };
  const load = (): void => {
    if (sched.now() >= FAULTS_UNTIL) return;
    submit(false);
    sched.setTimer(rng.int(5, 40), load);
  };
  sched.setTimer(1, load);

  // Then: everything heals and restarts; once views settle, a quiet phase.
  sched.at(FAULTS_UNTIL, () => {
    net.healPartitions();
    for (const n of nodes.values()) if (!n.up) restart(n);
  });
  const quietFrom = FAULTS_UNTIL + VIEW_REFRESH[1] * 2 + 100;
  for (let i = 0; i < 40; i++) sched.at(quietFrom + i * 10, () => submit(true));
  sched.runUntil(quietFrom + DEADLINE + KEEPALIVE * 2);

  let ok = 0;
  for (const req of requests) {
    const where = `request ${req.id} (${req.key}, ${req.idempotent ? 'idempotent' : 'once'}, via ${req.entry})`;
    if (req.outcome === undefined) throw new Error(`${where}: never answered`);
    if (req.outcome === 'ok') {
      ok++;
      if (req.ran.length === 0) throw new Error(`${where}: answered ok but never ran`);
      if (!req.idempotent && req.ran.length !== 1)
        throw new Error(`${where}: ran ${req.ran.length} times: ${req.ran.join(', ')}`);
    } else {
      if (req.outcome !== 'UNAVAILABLE' && req.outcome !== 'DEADLINE_EXCEEDED')
        throw new Error(`${where}: failed with ${req.outcome}`);
      if (!req.idempotent && req.ran.length > 1)
        throw new Error(`${where}: failed, yet ran ${req.ran.length} times`);
    }
    if (req.quiet) {
      const owner = rendezvousOwner(req.key, ids);
      if (req.outcome !== 'ok' || req.ran.join() !== owner)
        throw new Error(
          `${where}: quiet phase: ${req.outcome}, ran on [${req.ran}], owner ${owner}`,
        );
    }
  }
  for (const n of nodes.values()) {
    if (n.pending.size > 0) throw new Error(`${n.id} still waits for ${n.pending.size} attempts`);
  }
  return { requests: requests.length, ok, failed: requests.length - ok };
}

describe('forwarding under crashes and partitions (simulation)', () => {
  it('every request runs once at its owner or fails cleanly, over many seeds', () => {
    let total = { requests: 0, ok: 0, failed: 0 };
    const seeds: number[] = [];
    forEachSeed(
      (seed, rng) => {
        seeds.push(seed);
        const r = runScenario(rng);
        total = {
          requests: total.requests + r.requests,
          ok: total.ok + r.ok,
          failed: total.failed + r.failed,
        };
      },
      { count: 30 },
    );
    console.info(
      `forwarding simulation: seeds ${seeds[0]}..${seeds.at(-1)} (${seeds.length}), ` +
        `${total.requests} requests, ${total.ok} ok, ${total.failed} failed cleanly`,
    );
    // The faults must bite: some requests fail, most succeed.
    expect(total.failed).toBeGreaterThan(0);
    expect(total.ok).toBeGreaterThan(total.failed);
  });
});
