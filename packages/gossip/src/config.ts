/**
 * Protocol tuning. The three profiles follow the usual split: LAN (a data
 * centre), local (one host or a fast rack, tighter timeouts) and WAN (high
 * latency, slower and more patient). Everything is in milliseconds.
 */
export interface ProtocolConfig {
  /** How often a member probes another one (scaled up by local health). */
  probeIntervalMs: number;
  /** How long to wait for a direct ack before asking others (scaled up by local health). */
  probeTimeoutMs: number;
  /** Members asked to probe indirectly (SWIM's k). */
  indirectChecks: number;
  /** Whether a failed UDP probe is also tried over TCP. */
  tcpFallbackPing: boolean;
  /** Suspicion lasts suspicionMult · log10(n) · probeInterval at least. */
  suspicionMult: number;
  /** Upper bound of the suspicion timeout, as a multiple of the lower bound (Lifeguard). */
  suspicionMaxTimeoutMult: number;
  /**
   * Independent confirmations (Lifeguard's K) that bring a suspicion's timeout
   * from the upper bound down to the lower one. memberlist derives it as
   * suspicionMult − 2; here it is its own setting so the lower bound can be
   * tuned without changing how much agreement a fast verdict needs.
   */
  suspicionConfirmations: number;
  /** Each broadcast is sent retransmitMult · max(2, ⌈log10(n + 1)⌉) times. */
  retransmitMult: number;
  /** How often pending broadcasts are gossiped to a few random members. */
  gossipIntervalMs: number;
  /** Members per gossip round. */
  gossipNodes: number;
  /** Dead members still receive gossip this long (helps them refute). */
  gossipToTheDeadMs: number;
  /** Periodic full-state sync with one random member; 0 disables. */
  pushPullIntervalMs: number;
  /** Dead or left members are forgotten after this long. */
  deadReapMs: number;
  /** Largest local health multiplier (Lifeguard); probes slow down to (1 + this)×. */
  awarenessMaxMultiplier: number;
  /** Lifeguard on: health multiplier, dynamic suspicion, buddy pings, nacks. Off: classic SWIM. */
  lifeguard: boolean;
  /** Largest UDP datagram sent, bytes, including encryption overhead. */
  maxPacketSize: number;
  /** Largest node metadata, bytes. */
  maxMetaSize: number;
  /** Broadcasts waiting to be gossiped; the most transmitted are dropped beyond it. */
  maxQueuedBroadcasts: number;
  /** Largest TCP push-pull / stream message, bytes. */
  maxStreamSize: number;
  /** Recently seen user broadcast ids remembered for de-duplication. */
  userDedupSize: number;
}

export type ProfileName = 'lan' | 'local' | 'wan';

const common = {
  indirectChecks: 3,
  tcpFallbackPing: true,
  suspicionMaxTimeoutMult: 6,
  awarenessMaxMultiplier: 8,
  lifeguard: true,
  maxPacketSize: 1_400,
  maxMetaSize: 512,
  maxQueuedBroadcasts: 4_096,
  maxStreamSize: 8 * 1024 * 1024,
  userDedupSize: 4_096,
} as const;

export const PROFILES: Record<ProfileName, ProtocolConfig> = {
  lan: {
    ...common,
    // memberlist's LAN probe is 1 s / 500 ms. Until some member probes a
    // crashed one the clock has not even started (about exponential with a
    // mean of one probe interval, since ~1 of n−1 members picks it each
    // round): 0.8 s takes ~1 s off the p99 of "dead everywhere" at n = 100
    // for 25% more probe traffic, still flat in n.
    probeIntervalMs: 800,
    probeTimeoutMs: 400,
    // memberlist's LAN default is suspicionMult 4 (8 s at n = 100). With two
    // independent confirmations required for the minimum, 5 s (3.125 × 2 ×
    // 0.8 s) is enough for a refutation to cross the cluster many times over
    // (dissemination p99 < 1 s at n = 100), while a lone, possibly unhealthy
    // accuser still waits ~50 s (10 × the minimum). See the README's figures.
    suspicionMult: 3.125,
    suspicionMaxTimeoutMult: 10,
    suspicionConfirmations: 2,
    retransmitMult: 4,
    gossipIntervalMs: 200,
    gossipNodes: 3,
    gossipToTheDeadMs: 30_000,
    pushPullIntervalMs: 30_000,
    deadReapMs: 60_000,
  },
  local: {
    ...common,
    probeIntervalMs: 1_000,
    probeTimeoutMs: 200,
    suspicionMult: 3,
    suspicionConfirmations: 1,
    retransmitMult: 2,
    gossipIntervalMs: 100,
    gossipNodes: 3,
    gossipToTheDeadMs: 15_000,
    pushPullIntervalMs: 15_000,
    deadReapMs: 30_000,
  },
  wan: {
    ...common,
    probeIntervalMs: 5_000,
    probeTimeoutMs: 3_000,
    suspicionMult: 6,
    suspicionConfirmations: 4,
    retransmitMult: 4,
    gossipIntervalMs: 500,
    gossipNodes: 4,
    gossipToTheDeadMs: 60_000,
    pushPullIntervalMs: 60_000,
    deadReapMs: 120_000,
  },
};

/** A profile with overrides applied and sanity-checked. */
export function resolveConfig(
  profile: ProfileName = 'lan',
  overrides: Partial<ProtocolConfig> = {},
): ProtocolConfig {
  const base = PROFILES[profile];
  if (base === undefined) throw new RangeError(`unknown profile ${String(profile)}`);
  const c: ProtocolConfig = { ...base };
  for (const [k, v] of Object.entries(overrides)) {
    if (v !== undefined) (c as unknown as Record<string, unknown>)[k] = v;
  }
  const positive: (keyof ProtocolConfig)[] = [
    'probeIntervalMs',
    'probeTimeoutMs',
    'suspicionMult',
    'suspicionMaxTimeoutMult',
    'retransmitMult',
    'gossipIntervalMs',
    'gossipNodes',
    'maxPacketSize',
    'maxQueuedBroadcasts',
    'maxStreamSize',
    'userDedupSize',
  ];
  for (const k of positive) {
    const v = c[k];
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new RangeError(`config ${k} must be a positive number, got ${String(v)}`);
    }
  }
  if (!Number.isInteger(c.suspicionConfirmations) || c.suspicionConfirmations < 0) {
    throw new RangeError('config suspicionConfirmations must be a non-negative integer');
  }
  if (c.probeTimeoutMs > c.probeIntervalMs) {
    throw new RangeError('probeTimeoutMs must not exceed probeIntervalMs');
  }
  if (c.maxPacketSize < 512 || c.maxPacketSize > 65_000) {
    throw new RangeError('maxPacketSize must be within 512..65000');
  }
  if (c.maxMetaSize > c.maxPacketSize - 256) {
    throw new RangeError(
      'maxMetaSize must leave room in a packet for the rest of an alive message',
    );
  }
  return c;
}
