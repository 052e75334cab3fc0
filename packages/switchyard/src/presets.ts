import {
  type ClusterNode,
  type ClusterOptions,
  clusterInfoService,
  createCluster,
} from '@switchyard/cluster';
import {
  createEdge,
  type Edge,
  type EdgeOptions,
  type Gateway,
  streamGateway,
} from '@switchyard/core';
import { type HttpGatewayOptions, httpGateway } from '@switchyard/http';
import { listen } from '@switchyard/tcp';
import { type WsGatewayOptions, wsGateway } from '@switchyard/ws';

export interface SingleNodeOptions extends Omit<EdgeOptions, 'gateways' | 'cluster'> {
  /** Interface every gateway binds (default '127.0.0.1'). */
  host?: string;
  /** REST gateway options (default port 3000); false leaves it out. */
  http?: HttpGatewayOptions | false;
  /** WebSocket gateway options (default port 3001); false leaves it out. */
  ws?: WsGatewayOptions | false;
  /** TCP stream-protocol gateway (default port 3002); false leaves it out. */
  tcp?: { port?: number } | false;
  /** More gateways (QUIC, in-memory, your own), started after these. */
  gateways?: readonly Gateway[];
}

export interface ClusteredOptions extends SingleNodeOptions {
  /** The cluster node; its `gateways` are filled in from the gateways above unless given. */
  cluster: ClusterOptions;
  /**
   * Serve `cluster.info` (RPC) and `GET /cluster` so cluster-aware clients
   * (`createClusterClient`) can route by themselves (default true).
   */
  clusterInfo?: boolean;
}

interface Built {
  gateways: Gateway[];
  /** Public addresses, readable once the edge started (ports may be 0 until then). */
  addresses: () => Record<string, string>;
}

async function buildGateways(options: SingleNodeOptions): Promise<Built> {
  const host = options.host ?? '127.0.0.1';
  const gateways: Gateway[] = [];
  const addresses: (() => [string, string])[] = [];
  if (options.http !== false) {
    const gw = httpGateway({ host, port: 3000, ...(options.http ?? {}) });
    gateways.push(gw);
    addresses.push(() => [gw.name, `${host}:${gw.port}`]);
  }
  if (options.ws !== false) {
    const gw = wsGateway({ host, port: 3001, ...(options.ws ?? {}) });
    gateways.push(gw);
    addresses.push(() => [gw.name, `${host}:${gw.port}`]);
  }
  if (options.tcp !== false) {
    const listener = await listen({ host, port: options.tcp?.port ?? 3002 });
    const gw = streamGateway(listener, { name: 'tcp' });
    gateways.push(gw);
    addresses.push(() => [gw.name, `${host}:${listener.address.port}`]);
  }
  gateways.push(...(options.gateways ?? []));
  return { gateways, addresses: () => Object.fromEntries(addresses.map((a) => a())) };
}

function edgeOptions(options: SingleNodeOptions): Omit<EdgeOptions, 'gateways' | 'cluster'> {
  const { host: _h, http: _http, ws: _ws, tcp: _tcp, gateways: _g, ...rest } = options;
  return rest;
}

export interface PresetEdge {
  /** Not yet started: call `edge.start()`. */
  readonly edge: Edge;
  /** Gateway name → "host:port"; ports chosen with 0 are known once the edge started. */
  addresses(): Record<string, string>;
}

/**
 * One node serving REST, WebSocket and TCP (each can be switched off). The TCP
 * port is bound here, so a taken port fails now rather than at start.
 */
export async function createSingleNodeEdge(options: SingleNodeOptions): Promise<PresetEdge> {
  const { gateways, addresses } = await buildGateways(options);
  return { edge: createEdge({ ...edgeOptions(options), gateways }), addresses };
}

/**
 * The same gateways plus a cluster node: membership, forwarding to owners and
 * Raft leaders, cross-node pub/sub. The gateway addresses are advertised to the
 * other members, and `cluster.info` is served for cluster-aware clients. Call
 * `edge.start()`; on shutdown, `cluster.handoff()` first.
 */
export async function createClusteredEdge(
  options: ClusteredOptions,
): Promise<PresetEdge & { readonly cluster: ClusterNode }> {
  const { gateways, addresses } = await buildGateways(options);
  const cluster = createCluster({
    ...options.cluster,
    gateways: options.cluster.gateways ?? addresses,
  });
  const { cluster: _c, clusterInfo, ...single } = options;
  const services =
    clusterInfo === false ? single.services : [...single.services, clusterInfoService(cluster)];
  const edge = createEdge({ ...edgeOptions(single), services, gateways, cluster });
  return { edge, cluster, addresses };
}
