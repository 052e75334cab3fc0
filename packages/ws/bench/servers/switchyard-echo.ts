/** Switchyard: an edge with one `bench.echo` method behind the ws gateway. */
import { createEdge, method, service, silentLogger } from '@switchyard/core';
import { wsGateway } from '../../src/ws-gateway.js';
import { announce } from './announce.js';

const bench = service('bench', {
  echo: method<Uint8Array, Uint8Array>({ handler: (input) => input }),
});
const gateway = wsGateway({ host: '127.0.0.1', port: 0, idleTimeout: 0, maxInFlight: 4096 });
const edge = createEdge({ services: [bench], gateways: [gateway], logger: silentLogger });
await edge.start();
announce(gateway.port);
