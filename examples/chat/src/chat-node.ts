/**
 * One chat node: a WebSocket gateway and a cluster node. Run by launch.ts as
 *   node --import tsx src/chat-node.ts <id> <ws-port> <cluster-port> [seed]
 */
import { createCluster } from '@switchyard/cluster';
import { consoleLogger, createEdge, method, SwitchyardError, service } from '@switchyard/core';
import { wsGateway } from '@switchyard/ws';

const ROOM = /^[A-Za-z0-9_-]{1,64}$/;
const room = (r: unknown): string => {
  if (typeof r !== 'string' || !ROOM.test(r))
    throw new SwitchyardError('INVALID_ARGUMENT', 'room: 1-64 of A-Z a-z 0-9 _ -');
  return r;
};

export function chatService(nodeId: string) {
  return service('chat', {
    /** Subscribes this connection to a room; messages arrive as pushes on topic `room:<name>`. */
    join: method<{ room: string }, { node: string }>({
      handler: (input, ctx) => {
        ctx.subscribe(`room:${room(input?.room)}`);
        return { node: nodeId };
      },
    }),
    leave: method<{ room: string }, null>({
      handler: (input, ctx) => {
        ctx.unsubscribe(`room:${room(input?.room)}`);
        return null;
      },
    }),
    /** Publishes to the room on every node of the cluster. */
    say: method<{ room: string; from: string; text: string }, null>({
      handler: (input, ctx) => {
        if (typeof input?.text !== 'string' || input.text.length > 2000) {
          throw new SwitchyardError('INVALID_ARGUMENT', 'text: a string of at most 2000 chars');
        }
        ctx.publish(`room:${room(input.room)}`, {
          from: String(input.from ?? 'anon'),
          text: input.text,
          via: nodeId,
        });
        return null;
      },
    }),
  });
}

if (process.argv[1]?.endsWith('chat-node.ts')) {
  const [id, wsPort, clusterPort, seed] = process.argv.slice(2) as [
    string,
    string,
    string,
    string?,
  ];
  const cluster = createCluster({
    nodeId: id,
    listen: { host: '127.0.0.1', port: Number(clusterPort) },
    ...(seed ? { seeds: [seed] } : {}),
  });
  const edge = createEdge({
    services: [chatService(id)],
    gateways: [wsGateway({ host: '127.0.0.1', port: Number(wsPort) })],
    cluster,
    logger: consoleLogger('error'),
  });
  await edge.start();
  process.stdout.write(`READY ${id}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 5000).unref();
    edge.shutdown({ timeout: 2000 }).then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}
