import { connectSession } from '@switchyard/tcp';
import { describe, expect, it } from 'vitest';
import {
  createClusteredEdge,
  createSingleNodeEdge,
  method,
  rest,
  service,
  silentLogger,
} from './index.js';

const hello = service('hello', {
  greet: method<{ name: string }, string>({
    selectors: [rest('GET', '/hello/:name')],
    handler: (input) => `hi ${input.name}`,
  }),
});

function hostPort(address: string | undefined): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(address ?? '');
  if (!m) throw new Error(`bad address ${address}`);
  return { host: m[1] as string, port: Number(m[2]) };
}

describe('createEdge presets', () => {
  it('single node: one method over REST and TCP at once', async () => {
    const { edge, addresses } = await createSingleNodeEdge({
      services: [hello],
      http: { port: 0 },
      ws: { port: 0 },
      tcp: { port: 0 },
      logger: silentLogger,
    });
    await edge.start();
    try {
      const a = addresses();
      expect(Object.keys(a).sort()).toEqual(['http', 'tcp', 'ws']);
      const res = await fetch(`http://${a.http}/hello/ada`);
      expect(res.status).toBe(200);
      expect(await res.json()).toBe('hi ada');
      const s = await connectSession(hostPort(a.tcp), { keepalive: false });
      expect(await s.call('hello.greet', { name: 'bob' })).toBe('hi bob');
      s.close();
    } finally {
      await edge.shutdown({ timeout: 1000 });
    }
  });

  it('clustered: advertises its gateway addresses in membership metadata', async () => {
    const { edge, cluster } = await createClusteredEdge({
      services: [hello],
      http: false,
      ws: false,
      tcp: { port: 0 },
      logger: silentLogger,
      cluster: { nodeId: 'solo' },
    });
    await edge.start();
    try {
      const tcpAddress = cluster.members()[0]?.meta?.['gateway.tcp'];
      const s = await connectSession(hostPort(tcpAddress), { keepalive: false });
      expect(await s.call('hello.greet', { name: 'ada' })).toBe('hi ada');
      // Served for cluster-aware clients.
      const info = await s.call<{ self: string; methods: Record<string, unknown> }>('cluster.info');
      expect(info.self).toBe('solo');
      expect(Object.keys(info.methods)).toContain('hello.greet');
      s.close();
    } finally {
      await cluster.handoff();
      await edge.shutdown({ timeout: 1000 });
    }
  });

  it('re-exports each package as a namespace', async () => {
    const m = await import('./index.js');
    expect(typeof m.cluster.createCluster).toBe('function');
    expect(typeof m.tcp.listen).toBe('function');
    expect(typeof m.http.httpGateway).toBe('function');
    expect(typeof m.ws.wsGateway).toBe('function');
    expect(typeof m.raft.createRaftNode).toBe('function');
    expect(typeof m.gossip.createGossip).toBe('function');
    expect(typeof m.createEdge).toBe('function');
  });
});
