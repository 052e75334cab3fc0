import { consoleLogger, createEdge, type Logger, streamGateway } from '@switchyard/core';
import { listen } from '@switchyard/tcp';
import { type PingPongOptions, pingPong } from './service.js';

export interface ServerOptions extends PingPongOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  logger?: Logger;
}

export interface Server {
  readonly ports: { readonly tcp: number };
  close(): Promise<void>;
}

/** One TCP port for both protocols: the first byte of a connection picks NDJSON text or binary. */
export async function start(options: ServerOptions = {}): Promise<Server> {
  const { host = '127.0.0.1', port = 0, logger = consoleLogger('warn'), ...game } = options;
  const listener = await listen({ host, port });
  const edge = createEdge({
    services: [pingPong(game)],
    gateways: [streamGateway(listener)],
    logger,
  });
  await edge.start();
  return {
    ports: { tcp: listener.address.port ?? port },
    close: () => edge.shutdown({ timeout: 2000 }),
  };
}
