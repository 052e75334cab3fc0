import type { ClusterMember } from '@switchyard/core';
import { isValidId } from './node-info.js';

/** How a cluster-aware client routes one method. */
export interface MethodRouting {
  readonly kind: 'unary' | 'server-stream' | 'client-stream' | 'bidi';
  readonly idempotent: boolean;
  /** Keyed: the placement key's source, a dotted input path or a metadata entry. */
  readonly key?: { readonly from: 'input' | 'metadata'; readonly path: string };
  /** Replicated: the Raft group whose leader runs it. */
  readonly group?: string;
}

/** One node's answer to `cluster.info`: enough for a client to route by itself. */
export interface ClusterInfo {
  readonly self: string;
  readonly members: readonly {
    readonly id: string;
    readonly status: ClusterMember['status'];
    readonly gateways: Readonly<Record<string, string>>;
  }[];
  /** Members keys are placed on, in the answering node's view. */
  readonly live: readonly string[];
  readonly leaders: Readonly<Record<string, string | null>>;
  /** RPC name → routing. */
  readonly methods: Readonly<Record<string, MethodRouting>>;
}

export interface ClusterStats {
  /** Calls this node sent to another node to run. */
  forwardedOut: number;
  /** Calls another node sent here to run. */
  forwardedIn: number;
}

const MAX_MEMBERS = 1024;
const MAX_METHODS = 4096;
const KINDS = new Set(['unary', 'server-stream', 'client-stream', 'bidi']);
const STATUSES = new Set(['alive', 'suspect', 'dead', 'left']);
const PATH = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;

/** Validates a node's answer; undefined for anything malformed (a client never trusts it blindly). */
export function parseClusterInfo(raw: unknown): ClusterInfo | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  if (!isValidId(r.self) || !Array.isArray(r.members) || !Array.isArray(r.live)) return undefined;
  if (r.members.length > MAX_MEMBERS || r.live.length > MAX_MEMBERS) return undefined;
  const members: ClusterInfo['members'][number][] = [];
  for (const m of r.members as unknown[]) {
    const o = m as { id?: unknown; status?: unknown; gateways?: unknown } | null;
    if (!o || !isValidId(o.id) || typeof o.status !== 'string' || !STATUSES.has(o.status))
      return undefined;
    if (typeof o.gateways !== 'object' || o.gateways === null) return undefined;
    const gateways: Record<string, string> = {};
    for (const [k, v] of Object.entries(o.gateways as Record<string, unknown>).slice(0, 16)) {
      if (typeof v === 'string' && v.length <= 512) gateways[k] = v;
    }
    members.push({ id: o.id, status: o.status as ClusterMember['status'], gateways });
  }
  if (!(r.live as unknown[]).every(isValidId)) return undefined;
  const leaders: Record<string, string | null> = {};
  if (typeof r.leaders !== 'object' || r.leaders === null) return undefined;
  for (const [g, l] of Object.entries(r.leaders as Record<string, unknown>)) {
    if (!isValidId(g) || (l !== null && !isValidId(l))) return undefined;
    leaders[g] = l as string | null;
  }
  if (typeof r.methods !== 'object' || r.methods === null) return undefined;
  const entries = Object.entries(r.methods as Record<string, unknown>);
  if (entries.length > MAX_METHODS) return undefined;
  const methods: Record<string, MethodRouting> = {};
  for (const [name, v] of entries) {
    const m = v as { kind?: unknown; idempotent?: unknown; key?: unknown; group?: unknown } | null;
    if (!m || typeof m.kind !== 'string' || !KINDS.has(m.kind)) return undefined;
    if (typeof m.idempotent !== 'boolean') return undefined;
    const routing: { -readonly [K in keyof MethodRouting]: MethodRouting[K] } = {
      kind: m.kind as MethodRouting['kind'],
      idempotent: m.idempotent,
    };
    if (m.group !== undefined) {
      if (!isValidId(m.group)) return undefined;
      routing.group = m.group;
    }
    if (m.key !== undefined) {
      const k = m.key as { from?: unknown; path?: unknown } | null;
      if (!k || (k.from !== 'input' && k.from !== 'metadata')) return undefined;
      if (typeof k.path !== 'string' || !PATH.test(k.path)) return undefined;
      routing.key = { from: k.from, path: k.path };
    }
    methods[name] = routing;
  }
  return { self: r.self, members, live: r.live as string[], leaders, methods };
}
