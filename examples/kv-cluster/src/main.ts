/**
 * Starts a three-node key-value cluster and keeps it running until Ctrl-C.
 *   pnpm --filter @switchyard/example-kv-cluster start
 * With `--once` it runs a short tour and exits.
 */
import { createClusterClient, routerOf } from '@switchyard/cluster';
import type { KvService } from './kv-node.js';
import { launchKvCluster } from './launch.js';

const once = process.argv.includes('--once');
const cluster = await launchKvCluster();
let stopping = false;
const stop = async (code: number): Promise<never> => {
  if (!stopping) {
    stopping = true;
    await cluster.stop();
  }
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const [a, b, c] = cluster.nodes as [
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
    (typeof cluster.nodes)[0],
  ];
  console.log('three nodes up:');
  for (const n of cluster.nodes) console.log(`  ${n.id}  REST http://${n.http}  TCP ${n.tcp}`);
  // Writes may reach any node: followers forward to the leader.
  const put = await fetch(`http://${b.http}/kv/greeting`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ value: 'hello' }),
  });
  console.log(`PUT /kv/greeting via ${b.id}: ${put.status}`);
  const got = (await (await fetch(`http://${c.http}/kv/greeting`)).json()) as {
    value: unknown;
    servedBy: string;
  };
  console.log(
    `GET /kv/greeting via ${c.id}: ${JSON.stringify(got.value)} (served by the leader, ${got.servedBy})`,
  );
  const client = createClusterClient<KvService>({ seeds: [a.tcp] });
  await client.kv.put({ key: 'counter', value: 1 });
  console.log(
    `the cluster-aware client talks to the leader directly: ${routerOf(client).leaderOf('kv')}`,
  );
  routerOf(client).close();
  console.log(
    `\ntry:  curl -X PUT -H 'content-type: application/json' -d '{"value":42}' http://${a.http}/kv/x`,
  );
  console.log(`      curl http://${c.http}/kv/x      curl http://${b.http}/cluster`);
  if (once) await stop(0);
  console.log('\nCtrl-C to stop.');
} catch (error) {
  console.error(error);
  await stop(1);
}
