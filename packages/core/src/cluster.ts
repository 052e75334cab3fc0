import type { Metadata } from './connection.js';
import type { GatewayHost } from './gateway.js';
import type { MethodEntry } from './method-entry.js';

export interface ClusterMember {
  readonly id: string;
  readonly address?: string;
  readonly status: 'alive' | 'suspect' | 'dead' | 'left';
  readonly meta?: Readonly<Record<string, string>>;
}

/** A call sent to another node: the receiving node runs it with `host.dispatch`. */
export interface ForwardRequest {
  /** Canonical method name (`service.method`): ids are per node, names are not. */
  readonly method: string;
  readonly input: unknown;
  readonly metadata: Metadata;
  /** Absolute deadline on this node's `performance.now()` clock, Infinity for none: send it as a remaining duration. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  /** Streamed input of a client-stream or bidi call: relay it as you read it (flow control). */
  readonly inputStream?: AsyncIterable<unknown>;
}

/** What the edge gives the cluster at start. */
export interface ClusterHost {
  /** Runs a call received from another node (use a Connection with gateway 'cluster'). */
  readonly dispatch: GatewayHost['dispatch'];
  readonly methods: readonly MethodEntry[];
  readonly logger: GatewayHost['logger'];
  /** Delivers a value published on another node to this node's gateways only (no re-broadcast). */
  deliver(topic: string, value: unknown): void;
}

/**
 * Cross-node behaviour, implemented by @switchyard/cluster (or a third party).
 * The edge calls `start` after its gateways started and `leave` last on shutdown.
 */
export interface Cluster {
  readonly nodeId: string;
  start(host: ClusterHost): Promise<void>;
  /** Leave the membership gracefully within `timeout` ms. */
  leave(options: { readonly timeout: number }): Promise<void>;
  members(): readonly ClusterMember[];
  /** Listener for membership changes; returns an unsubscribe function. */
  onMembershipChange?(listener: (members: readonly ClusterMember[]) => void): () => void;
  /**
   * Which node should run this call: undefined (or this node's id) runs it
   * here. Called for every call kind when defined (input is undefined for
   * streamed input): keep it O(1).
   */
  locate?(method: MethodEntry, input: unknown, metadata: Metadata): string | undefined;
  /** Runs a call on another node; rejects with SwitchyardError (UNAVAILABLE when unreachable). */
  forward(nodeId: string, request: ForwardRequest): Promise<unknown>;
  /** Sends a published value to the other nodes (which call `host.deliver`). */
  publish(topic: string, value: unknown): void;
}
