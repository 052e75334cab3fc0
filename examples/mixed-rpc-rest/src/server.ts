import { createSingleNodeEdge, type Logger, type PresetEdge } from 'switchyard';
import { calc } from './calc-service.js';

/** REST, WebSocket and TCP on three ports (0: any free port). */
export async function startServer(
  ports: { http: number; ws: number; tcp: number },
  logger?: Logger,
): Promise<PresetEdge> {
  const preset = await createSingleNodeEdge({
    services: [calc],
    http: { port: ports.http },
    ws: { port: ports.ws },
    tcp: { port: ports.tcp },
    ...(logger ? { logger } : {}),
  });
  await preset.edge.start();
  return preset;
}
