import { consoleLogger, createEdge, type Edge, type Logger } from '@switchyard/core';
import { httpGateway } from '@switchyard/http';
import { todoService } from './todo-service.js';

/** Starts the server; port 0 picks a free one. */
export async function startServer(
  port: number,
  logger: Logger = consoleLogger('warn'),
): Promise<{ edge: Edge; url: string }> {
  const http = httpGateway({ host: '127.0.0.1', port });
  const edge = createEdge({ services: [todoService()], gateways: [http], logger });
  await edge.start();
  return { edge, url: `http://127.0.0.1:${http.port}` };
}
