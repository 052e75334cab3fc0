import {
  checkLinearizable,
  type KvInput,
  kvModel,
  type Operation,
  withoutUnseenPendingPuts,
} from '@switchyard/sim';
import { SwitchyardError } from '@switchyard/stream';
import { afterAll, describe, expect, it } from 'vitest';
import { KvClients, type ProcessCluster, startProcessCluster } from '../test/process-cluster.js';

/**
 * Real processes on 127.0.0.1: three kv-server processes (LMDB, TCP), six
 * clients under load; the leader is SIGKILLed (and restarted from its disk),
 * then the new leader is SIGSTOPped and resumed. No acknowledged write may be
 * lost and the whole client history must be linearizable.
 */
const ids = ['n1', 'n2', 'n3'];
let cluster: ProcessCluster | null = null;
let clients: KvClients | null = null;

afterAll(async () => {
  clients?.close();
  await cluster?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function findLeader(c: KvClients, candidates: string[], ms = 10_000): Promise<string> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    for (const id of candidates) {
      try {
        const s = await c.call<{ role: string }>(id, 'kv.status', {}, 300);
        if (s.role === 'leader') return id;
      } catch {
        // down or paused
      }
    }
    await sleep(50);
  }
  throw new Error('no leader');
}

describe('real processes on 127.0.0.1', () => {
  it('loses no acknowledged write and stays linearizable across SIGKILL and SIGSTOP', async () => {
    cluster = await startProcessCluster(ids, { tickMs: 20, electionTick: 10 });
    clients = new KvClients(cluster.clientPorts);
    const c = clients;
    const pc = cluster;
    let leader = await findLeader(c, ids);

    const history: Operation<KvInput<number>, unknown>[] = [];
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    let stop = false;
    let clientSeq = 0;
    let acked = 0;
    let value = 0;
    const keys = ['a', 'b', 'c'];

    const runClient = async (seed: number) => {
      let client = ++clientSeq;
      let target = leader;
      let i = seed;
      while (!stop) {
        i++;
        const key = keys[i % keys.length] as string;
        const isPut = (i * 7 + seed) % 3 !== 0;
        const input: KvInput<number> = isPut
          ? { op: 'put', key, value: ++value }
          : { op: 'get', key };
        const op: Operation<KvInput<number>, unknown> = { client, call: now(), input };
        history.push(op);
        try {
          const out = await c.call(
            target,
            isPut ? 'kv.put' : 'kv.get',
            isPut ? { key, value: input.op === 'put' ? input.value : 0 } : { key },
            1500,
          );
          op.return = now();
          op.output = isPut ? null : out;
          if (isPut) acked++;
        } catch (err) {
          const e = err as SwitchyardError;
          if (err instanceof SwitchyardError && (e.code === 'NOT_LEADER' || e.code === 'ABORTED')) {
            // Refused before being appended, or overwritten: it had no effect.
            history.splice(history.indexOf(op), 1);
            const hint = (e.data as { leaderHint?: string } | undefined)?.leaderHint;
            target =
              hint && ids.includes(hint)
                ? hint
                : (ids[(ids.indexOf(target) + 1) % ids.length] as string);
            if (!hint) await sleep(20);
          } else {
            // Timeout or lost connection: the outcome is unknown, the op stays
            // pending forever, and the client continues under a new identity.
            client = ++clientSeq;
            target = ids[(ids.indexOf(target) + 1) % ids.length] as string;
            await sleep(20);
          }
        }
      }
    };
    const load = Array.from({ length: 6 }, (_, i) => runClient(i * 13));

    await sleep(1500);
    // 1. SIGKILL the leader; the others elect a new one.
    pc.signal(leader, 'SIGKILL');
    const killed = leader;
    leader = await findLeader(
      c,
      ids.filter((x) => x !== killed),
    );
    await sleep(800);
    // 2. Restart the killed node from its files (WAL replayed into LMDB).
    await pc.start(killed);
    await sleep(800);
    // 3. SIGSTOP the current leader: the rest move on; it must not serve stale reads when resumed.
    const paused = leader;
    pc.signal(paused, 'SIGSTOP');
    leader = await findLeader(
      c,
      ids.filter((x) => x !== paused),
    );
    await sleep(800);
    pc.signal(paused, 'SIGCONT');
    await sleep(1000);
    stop = true;
    await Promise.all(load);

    // Final reads through the leader see every acknowledged write's effect (checked by linearizability).
    leader = await findLeader(c, ids);
    for (const key of keys) {
      const op: Operation<KvInput<number>, unknown> = {
        client: ++clientSeq,
        call: now(),
        input: { op: 'get', key },
      };
      op.output = await c.call(leader, 'kv.get', { key }, 3000);
      op.return = now();
      history.push(op);
    }
    expect(acked).toBeGreaterThan(50);
    // Values are unique, so unanswered writes no read saw cannot change the verdict.
    const result = checkLinearizable(kvModel<number>(), withoutUnseenPendingPuts(history), {
      report: false,
      timeoutMs: 20_000,
    });
    if (result.result === 'violation') throw new Error(result.message);
    expect(result.result).toBe('ok');
  }, 90_000);
});
