import {
  createRaftNode,
  createTcpTransport,
  lmdbStorage,
  type RaftNode,
  type RaftNodeOptions,
  type StateMachine,
} from '@switchyard/raft';
import { parseHostPort } from './address.js';

export interface RaftGroupOptions<C, R, Q, A> {
  /** The cluster node id; also the Raft id. */
  nodeId: string;
  /** LMDB data directory of this replica (created if missing). */
  dir: string;
  /** "host:port" this replica's Raft transport listens on. */
  listen: string;
  /** Raft id → "host:port" of every founding voter, this node included. */
  peers: Readonly<Record<string, string>>;
  stateMachine: StateMachine<C, R, Q, A>;
  /** Passed through to the Raft node (tick length, timeouts, leases, …). */
  raft?: Omit<
    RaftNodeOptions<C, R, Q, A>,
    'id' | 'peers' | 'storage' | 'stateMachine' | 'transport'
  >;
}

/**
 * Starts one replica of a Raft group with the usual production parts: LMDB
 * storage and the TCP transport. For anything else, build the node with
 * @switchyard/raft directly: the cluster only needs its leader and transfer.
 */
export async function startRaftGroup<C, R, Q, A>(
  options: RaftGroupOptions<C, R, Q, A>,
): Promise<RaftNode<C, R, Q, A>> {
  const { nodeId, dir, peers } = options;
  if (!(nodeId in peers)) {
    throw new TypeError(`startRaftGroup(): peers must include this node (${nodeId})`);
  }
  const { host, port } = parseHostPort(options.listen);
  const others: Record<string, string> = {};
  for (const [id, addr] of Object.entries(peers)) {
    parseHostPort(addr);
    if (id !== nodeId) others[id] = addr;
  }
  const storage = lmdbStorage({ dir });
  const transport = createTcpTransport({ id: nodeId, listen: { host, port }, peers: others });
  return createRaftNode<C, R, Q, A>({
    // The edge already routes replicated calls to the leader, and clients learn
    // the leader from NOT_LEADER hints. Forwarding inside Raft as well would
    // hide the leader from them and, when the leader dies mid-forward, turn a
    // clean refusal (the command never entered the log) into an unknown
    // outcome. Pass `raft: { forwardProposals: true }` to have it anyway.
    forwardProposals: false,
    ...(options.raft ?? {}),
    id: nodeId,
    peers: Object.keys(peers),
    storage,
    stateMachine: options.stateMachine,
    transport,
  });
}
