/**
 * A cluster node for the multi-process tests:
 *   node --import tsx test/node-process.ts <id> <seed-or-"-">
 * Prints `READY {"tcp":…,"ws":…,"cluster":…}` once serving; SIGTERM leaves gracefully.
 */
import { createEdge, method, service, silentLogger, streamGateway } from '@switchyard/core';
import { listen } from '@switchyard/tcp';
import { wsGateway } from '@switchyard/ws';
import { createCluster } from '../src/index.js';
import { acctServices } from './node-services.js';

const [id, seed] = process.argv.slice(2) as [string, string];
const tcp = await listen({ host: '127.0.0.1', port: 0 });
const ws = wsGateway({ host: '127.0.0.1', port: 0 });
const cluster = createCluster({
  nodeId: id,
  ...(seed && seed !== '-' ? { seeds: [seed] } : {}),
  syncInterval: 100,
  suspectAfter: 600,
  deadAfter: 1200,
  // Read at start, after the gateways bound: cluster-aware clients connect here.
  gateways: () => ({ tcp: `127.0.0.1:${tcp.address.port}` }),
});
const edge = createEdge({
  services: [
    ...acctServices(id, cluster),
    service('chat', {
      join: method<{ room: string }, string>({
        handler: (input, ctx) => {
          ctx.subscribe(`room:${input.room}`);
          return id;
        },
      }),
      say: method<{ room: string; text: string }, null>({
        handler: (input, ctx) => {
          ctx.publish(`room:${input.room}`, { from: id, text: input.text });
          return null;
        },
      }),
    }),
  ],
  gateways: [streamGateway(tcp), ws],
  cluster,
  logger: silentLogger,
});
await edge.start();
process.stdout.write(
  `READY ${JSON.stringify({ tcp: tcp.address.port, ws: ws.port, cluster: cluster.address })}\n`,
);
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 5000).unref();
  cluster
    .handoff({ timeout: 1000 })
    .then(() => edge.shutdown({ timeout: 2000 }))
    .then(
      () => process.exit(0),
      () => process.exit(1),
    );
};
process.on('SIGTERM', stop);
// The test runner dying closes our stdin: never outlive it.
process.stdin.on('end', stop);
process.stdin.resume();
