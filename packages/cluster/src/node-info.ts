/**
 * What a node tells the others about itself. Carried in membership messages
 * and exposed as `ClusterMember.meta` (a flat string map, as core defines it).
 */
export interface NodeInfo {
  readonly id: string;
  /** "host:port" of the inter-node stream listener (forwarding, pub/sub, membership). */
  readonly stream: string;
  /** Gateway name → public address, e.g. `{ http: '127.0.0.1:8080' }`, for cluster-aware clients. */
  readonly gateways: Readonly<Record<string, string>>;
  /** Raft groups this node serves. */
  readonly groups: readonly string[];
  /** Bumped on every restart so a stale record never overrides a fresh one. */
  readonly incarnation: number;
}

/** Bounds on what a peer may send us: membership data is never trusted blindly. */
export const MAX_ID_LENGTH = 128;
export const MAX_GATEWAYS = 16;
export const MAX_GROUPS = 64;
const ADDRESS = /^[A-Za-z0-9.:[\]_-]{1,255}:\d{1,5}$/;
const NAME = /^[A-Za-z0-9._-]{1,128}$/;

export function isValidId(id: unknown): id is string {
  return typeof id === 'string' && NAME.test(id) && id.length <= MAX_ID_LENGTH;
}

export function isValidAddress(a: unknown): a is string {
  return typeof a === 'string' && ADDRESS.test(a);
}

/** Validates a peer's record; returns undefined for anything malformed. */
export function parseNodeInfo(raw: unknown): NodeInfo | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (!isValidId(r.id) || !isValidAddress(r.stream)) return undefined;
  if (
    typeof r.incarnation !== 'number' ||
    !Number.isSafeInteger(r.incarnation) ||
    r.incarnation < 0
  )
    return undefined;
  const gateways: Record<string, string> = {};
  if (typeof r.gateways !== 'object' || r.gateways === null) return undefined;
  const gwEntries = Object.entries(r.gateways as Record<string, unknown>);
  if (gwEntries.length > MAX_GATEWAYS) return undefined;
  for (const [k, v] of gwEntries) {
    if (!NAME.test(k) || typeof v !== 'string' || v.length > 512) return undefined;
    gateways[k] = v;
  }
  if (!Array.isArray(r.groups) || r.groups.length > MAX_GROUPS) return undefined;
  for (const g of r.groups) if (typeof g !== 'string' || !NAME.test(g)) return undefined;
  return Object.freeze({
    id: r.id,
    stream: r.stream,
    gateways: Object.freeze(gateways),
    groups: Object.freeze([...(r.groups as string[])]),
    incarnation: r.incarnation,
  });
}

/** The flat string map core's `ClusterMember.meta` holds. */
export function metaOf(info: NodeInfo): Record<string, string> {
  const meta: Record<string, string> = { stream: info.stream, groups: info.groups.join(',') };
  for (const [k, v] of Object.entries(info.gateways)) meta[`gateway.${k}`] = v;
  return meta;
}
