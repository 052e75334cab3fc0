import { describe, expect, it } from 'vitest';
import { assertDeterministic } from './determinism.js';
import { Simulation } from './simulation.js';

describe('assertDeterministic', () => {
  it('passes a seeded simulation and returns its trace', () => {
    const trace = assertDeterministic(8, (seed) => {
      const sim = new Simulation<{ type: string }>({ seed });
      for (const n of ['a', 'b', 'c']) {
        sim.addNode(n, (h) => {
          const tick = () => {
            h.send(h.rng.pick(['a', 'b', 'c'].filter((x) => x !== n)), { type: 'ping' });
            h.setTimer(h.rng.int(1, 20), tick);
          };
          h.setTimer(1, tick);
        });
      }
      sim.nemesis({ duration: 500 }).start();
      sim.runFor(1000);
      return [
        ...sim.log,
        JSON.stringify(sim.net.counters.droppedBy),
        String(sim.net.counters.delivered),
      ].join('\n');
    });
    expect(trace.length).toBeGreaterThan(0);
  });

  it('reports where two runs diverge', () => {
    let calls = 0;
    expect(() => assertDeterministic(3, () => `same\nrun ${calls++}\ntail`)).toThrow(
      /SEED=3.*line 2[\s\S]*run 0[\s\S]*run 1/,
    );
    expect(() => assertDeterministic(3, () => 5 as unknown as string)).toThrow(TypeError);
  });
});
