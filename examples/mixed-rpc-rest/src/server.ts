import { quicGateway } from '@switchyard/quic';
import { createSingleNodeEdge, type Logger, type PresetEdge } from 'switchyard';
import { calc } from './calc-service.js';

export interface ServerPorts {
  http: number;
  ws: number;
  tcp: number;
  /** QUIC needs a TLS key and certificate; omit to serve without QUIC. */
  quic?: { port: number; tls: { key: string; cert: string } };
}

/** REST, WebSocket, TCP and (optionally) QUIC, each on its own port (0: any free port). */
export async function startServer(ports: ServerPorts, logger?: Logger): Promise<PresetEdge> {
  const quic = ports.quic
    ? quicGateway({ host: '127.0.0.1', port: ports.quic.port, tls: ports.quic.tls })
    : undefined;
  const preset = await createSingleNodeEdge({
    services: [calc],
    http: { port: ports.http },
    ws: { port: ports.ws },
    tcp: { port: ports.tcp },
    ...(quic ? { gateways: [quic] } : {}),
    ...(logger ? { logger } : {}),
  });
  await preset.edge.start();
  if (!quic) return preset;
  // The preset knows the gateways it built; add the QUIC address beside them.
  return {
    ...preset,
    addresses: () => ({ ...preset.addresses(), quic: `127.0.0.1:${quic.address?.port}` }),
  };
}
