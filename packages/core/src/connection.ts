/**
 * One client connection as a gateway sees it. Gateways create these and report
 * them to the edge (`host.connectionOpened/Closed`); handlers see them as
 * `ctx.connection`. The optional methods are what the gateway's transport can do:
 * a REST request has no push channel, a WebSocket or stream session has.
 */
export interface Connection {
  /** Unique within the process. */
  readonly id: string;
  /** Name of the gateway that owns it (`Gateway.name`). */
  readonly gateway: string;
  /** e.g. 'tcp', 'ws', 'http', 'quic', 'memory'. */
  readonly transport?: string;
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  /** Sends a server push (topic + value) to this connection only. */
  push?(topic: string, value: unknown): void;
  /** Adds this connection to a topic, so `edge.publish(topic, …)` reaches it. */
  subscribe?(topic: string): void;
  unsubscribe?(topic: string): void;
}

export type Metadata = Readonly<Record<string, string>>;

export const EMPTY_METADATA: Metadata = Object.freeze({});
