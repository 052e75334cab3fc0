import { type Session, SwitchyardError } from '@switchyard/stream';
import { connectSession } from '@switchyard/tcp';

interface Topology {
  members: { id: string; status: string; gateways: Record<string, string> }[];
  leaders: Record<string, string | null>;
}

/**
 * A cluster-aware client: it asks any node for the topology, then sends to the
 * Raft leader's TCP gateway directly (no forwarding hop). When the leader
 * moves or dies it asks again and goes to the new one.
 */
export class LeaderClient {
  private session: Session | undefined;
  /** Which node the client is talking to now. */
  current: string | undefined;

  constructor(private readonly seeds: readonly string[]) {}

  async call<T>(method: string, input: unknown): Promise<T> {
    for (let attempt = 0; attempt < 6; attempt++) {
      try {
        const s = await this.connect();
        return await s.call<T>(method, input, { timeout: 3000 });
      } catch (error) {
        const code = error instanceof SwitchyardError ? error.code : 'UNKNOWN';
        if (code !== 'UNAVAILABLE' && code !== 'NOT_LEADER') throw error;
        this.session?.close();
        this.session = undefined;
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
    throw new SwitchyardError('UNAVAILABLE', 'no leader reachable');
  }

  close(): void {
    this.session?.close();
  }

  private async connect(): Promise<Session> {
    if (this.session !== undefined && !this.session.isClosed) return this.session;
    for (const seed of this.seeds) {
      const s = await open(seed).catch(() => undefined);
      if (s === undefined) continue;
      const topo = await s
        .call<Topology>('cluster.topology', undefined, { timeout: 1000 })
        .catch(() => undefined);
      const leader = topo?.leaders.kv;
      const address = topo?.members.find((m) => m.id === leader)?.gateways.tcp;
      if (leader && address && address !== seed) {
        s.close();
        const direct = await open(address).catch(() => undefined);
        if (direct) {
          this.session = direct;
          this.current = leader;
          return direct;
        }
        continue;
      }
      // The seed is the leader, or no leader yet: use it (followers forward).
      this.session = s;
      this.current = leader ?? undefined;
      return s;
    }
    throw new SwitchyardError('UNAVAILABLE', 'no seed reachable');
  }
}

function open(address: string): Promise<Session> {
  const i = address.lastIndexOf(':');
  return connectSession(
    { host: address.slice(0, i), port: Number(address.slice(i + 1)) },
    { connectTimeout: 1000, keepalive: { interval: 1000, timeout: 3000 } },
  );
}
