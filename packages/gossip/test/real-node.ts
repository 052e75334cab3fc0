import { createInterface } from 'node:readline';
import { createGossip } from '../src/gossip.js';
import { Keyring } from '../src/keyring.js';

/**
 * One cluster member in its own process, for the real-network test. Prints
 * JSON lines: {ready: addr} once bound, then its view of the cluster every
 * 100 ms. Reads commands on stdin: "leave".
 */
const name = process.argv[2] as string;
const seeds = (process.argv[3] ?? '').split(',').filter(Boolean);
const key = Buffer.from(process.env.GOSSIP_KEY ?? '', 'hex');

const g = await createGossip({
  name,
  bind: '127.0.0.1:0',
  seeds,
  keyring: new Keyring(key),
  label: 'real-test',
  meta: new TextEncoder().encode(JSON.stringify({ pid: process.pid })),
  profile: 'local',
  config: {
    probeIntervalMs: 200,
    probeTimeoutMs: 100,
    gossipIntervalMs: 50,
    pushPullIntervalMs: 2_000,
    gossipToTheDeadMs: 10_000,
    deadReapMs: 120_000,
  },
  streamTimeoutMs: 1_000,
});
const out = (v: unknown): void => {
  process.stdout.write(`${JSON.stringify(v)}\n`);
};
out({ ready: g.address });
const view = setInterval(() => {
  out({ view: g.members().map((m) => [m.name, m.status]) });
}, 100);
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'leave') {
    clearInterval(view);
    void g.leave(1_000).then(() => {
      out({ left: true });
      process.exit(0);
    });
  }
});
// A safety net: never outlive the test by much.
setTimeout(() => process.exit(2), 120_000).unref();
