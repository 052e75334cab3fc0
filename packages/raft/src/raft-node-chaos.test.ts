import {
  checkLinearizable,
  type KvInput,
  kvModel,
  type Operation,
  Prng,
  withoutUnseenPendingPuts,
} from '@switchyard/sim';
import { SwitchyardError } from '@switchyard/stream';
import { afterAll, describe, expect, it } from 'vitest';
import { type KvCommand, KvStateMachine } from './kv-state-machine.js';
import { memoryStorage } from './memory-storage.js';
import { MemoryNetwork } from './memory-transport.js';
import { createRaftNode, type RaftNode } from './raft-node.js';

/**
 * The real driver (pipelined persistence, batched ReadIndex, deadlines)
 * under random partitions on the in-memory network, with real timers: the
 * fault schedule comes from SEED (printed), the interleaving from the event
 * loop. Every completed operation goes into a history checked linearizable.
 */
type KvNode = RaftNode<KvCommand, unknown, string, unknown>;
const nodes: KvNode[] = [];
afterAll(async () => {
  for (const n of nodes) await n.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RaftNode under random partitions', () => {
  it('keeps client histories linearizable', async () => {
    const seed = Number(process.env.SEED ?? Date.now() % 100_000);
    console.log(`raft-node chaos: SEED=${seed}`);
    const rng = new Prng(seed);
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const net = new MemoryNetwork();
    for (const id of ids) {
      nodes.push(
        (await createRaftNode<KvCommand, unknown, string, unknown>({
          id,
          peers: ids,
          storage: memoryStorage(),
          stateMachine: new KvStateMachine(),
          transport: net.transport(id),
          tickMs: 10,
          snapshotThreshold: 50,
          snapshotTrailing: 5,
          defaultTimeout: 400,
          random: () => rng.float(),
        })) as KvNode,
      );
    }
    const history: Operation<KvInput<number>, unknown>[] = [];
    const t0 = performance.now();
    const now = () => performance.now() - t0;
    let stop = false;
    let value = 0;
    let clientSeq = 0;
    let acked = 0;
    const client = async (cr: Prng) => {
      let id = ++clientSeq;
      while (!stop) {
        const node = nodes.find((n) => n.isLeader && cr.chance(0.8)) ?? (cr.pick(nodes) as KvNode);
        const key = cr.pick(['x', 'y']);
        const input: KvInput<number> = cr.chance(0.5)
          ? { op: 'put', key, value: ++value }
          : { op: 'get', key };
        const op: Operation<KvInput<number>, unknown> = { client: id, call: now(), input };
        history.push(op);
        try {
          const out =
            input.op === 'put'
              ? await node.propose({ op: 'put', key, value: input.value })
              : await node.read(key);
          op.return = now();
          op.output = input.op === 'put' ? null : out;
          if (input.op === 'put') acked++;
        } catch (err) {
          const code = err instanceof SwitchyardError ? err.code : '';
          if (
            code === 'NOT_LEADER' ||
            code === 'ABORTED' ||
            (code === 'UNAVAILABLE' && input.op === 'get')
          ) {
            history.splice(history.indexOf(op), 1);
          } else {
            id = ++clientSeq; // unknown outcome: stays pending
          }
          await sleep(5);
        }
      }
    };
    const clients = Array.from({ length: 4 }, () => client(rng.fork()));
    for (let round = 0; round < 12; round++) {
      await sleep(rng.int(100, 250));
      net.heal();
      if (rng.chance(0.7)) {
        const shuffled = rng.shuffle([...ids]);
        const cut = rng.int(1, 2);
        net.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      }
    }
    net.heal();
    await sleep(300);
    stop = true;
    await Promise.all(clients);
    // A final read on the leader sees the last acknowledged writes.
    const end = Date.now() + 5000;
    while (!nodes.some((n) => n.isLeader) && Date.now() < end) await sleep(10);
    const leader = nodes.find((n) => n.isLeader) as KvNode;
    for (const key of ['x', 'y']) {
      const op: Operation<KvInput<number>, unknown> = {
        client: ++clientSeq,
        call: now(),
        input: { op: 'get', key },
      };
      op.output = await leader.read(key, { timeout: 3000 });
      op.return = now();
      history.push(op);
    }
    expect(acked).toBeGreaterThan(10);
    // Unanswered writes no read saw cannot change the verdict (values are
    // unique) but each doubles the search: a loaded run leaves many.
    const r = checkLinearizable(kvModel<number>(), withoutUnseenPendingPuts(history), {
      report: false,
      timeoutMs: 10_000,
    });
    if (r.result === 'violation') throw new Error(`SEED=${seed}: ${r.message}`);
    expect(r.result).toBe('ok');
  }, 60_000);
});
