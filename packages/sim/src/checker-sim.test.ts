import { describe, expect, it } from 'vitest';
import { HistoryRecorder } from './history.js';
import { checkLinearizable } from './linearizability.js';
import { type RegisterInput, registerModel } from './register-model.js';
import { forEachSeed } from './simulate.js';
import { type Host, Simulation } from './simulation.js';

/**
 * End-to-end validation of the checker on histories produced by simulated
 * systems: a correct single-server register (over a lossy network, so some
 * operations stay pending) must pass; a primary/backup register that serves
 * reads from a lagging backup must be rejected.
 */
type Msg =
  | { type: 'req'; id: number; input: RegisterInput<number> }
  | { type: 'res'; id: number; output: unknown }
  | { type: 'repl'; value: number };

interface Node {
  kind: string;
}

function server(host: Host<Msg>, backup: string | undefined): Node {
  let value = 0;
  host.onMessage((m, from) => {
    if (m.type === 'repl') {
      value = m.value;
      return;
    }
    if (m.type !== 'req') return;
    let output: unknown;
    if (m.input.op === 'read') output = value;
    else if (m.input.op === 'write') {
      value = m.input.value;
      // The broken design: acknowledge first, replicate lazily.
      if (backup) {
        const v = value;
        host.setTimer(80, () => host.send(backup, { type: 'repl', value: v }));
      }
      output = 'ok';
    }
    host.send(from, { type: 'res', id: m.id, output });
  });
  return { kind: 'server' };
}

function client(
  host: Host<Msg>,
  history: HistoryRecorder<RegisterInput<number>, unknown>,
  pickServer: (isRead: boolean) => string,
  ops: number,
): Node {
  let left = ops;
  let nextId = 1;
  let waiting: { id: number; op: number; cancel: () => boolean } | undefined;
  host.onMessage((m) => {
    if (m.type !== 'res' || !waiting || m.id !== waiting.id) return;
    history.complete(waiting.op, m.output, host.clock.monotonic());
    waiting.cancel();
    waiting = undefined;
    host.setTimer(host.rng.int(0, 20), issue);
  });
  const issue = () => {
    if (left-- <= 0) return;
    const input: RegisterInput<number> = host.rng.chance(0.5)
      ? { op: 'read' }
      : { op: 'write', value: host.rng.int(1, 1000) };
    const id = nextId++;
    const op = history.invoke(host.name, input, host.clock.monotonic());
    host.send(pickServer(input.op === 'read'), { type: 'req', id, input });
    // No answer in time: give up; the operation stays pending (it may have happened).
    const cancel = host.setTimer(200, () => {
      waiting = undefined;
      issue();
    });
    waiting = { id, op, cancel };
  };
  host.setTimer(host.rng.int(0, 10), issue);
  return { kind: 'client' };
}

function run(seed: number, broken: boolean) {
  const sim = new Simulation<Msg, Node>({
    seed,
    network: { defaults: { latency: { min: 1, max: 10 }, drop: broken ? 0 : 0.05 } },
  });
  const history = new HistoryRecorder<RegisterInput<number>, unknown>();
  sim.addNode('primary', (h) => server(h, broken ? 'backup' : undefined));
  if (broken) sim.addNode('backup', (h) => server(h, undefined));
  for (const c of ['c1', 'c2', 'c3', 'c4']) {
    sim.addNode(c, (h) =>
      client(
        h,
        history,
        (isRead) => (broken && isRead && h.rng.chance(0.5) ? 'backup' : 'primary'),
        60,
      ),
    );
  }
  sim.runFor(60_000);
  return history.operations();
}

/** SWITCHYARD_SOAK=1 runs many more seeds. */
const SOAK = process.env.SWITCHYARD_SOAK === '1';

describe('checker on simulated registers', () => {
  it('accepts every history of a correct register (with pending operations)', () => {
    let pending = 0;
    forEachSeed(
      (seed) => {
        const h = run(seed, false);
        pending += h.filter((o) => o.return === undefined).length;
        expect(h.length).toBe(240);
        const res = checkLinearizable(registerModel(0), h, { report: false });
        if (res.result !== 'ok')
          throw new Error(`correct register rejected: ${JSON.stringify(res)}`);
      },
      { count: SOAK ? 500 : 10 },
    );
    expect(pending).toBeGreaterThan(0); // the lossy network really produced pending ops
  });

  it('rejects histories of a register that reads from a lagging backup', () => {
    forEachSeed(
      (seed) => {
        const h = run(seed, true);
        const res = checkLinearizable(registerModel(0), h, { report: false });
        expect(res.result).toBe('violation');
      },
      { count: SOAK ? 500 : 10, first: 100 },
    );
  });
});
