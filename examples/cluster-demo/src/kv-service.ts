import type { ClusterNode } from '@switchyard/cluster';
import { method, rest, rpc, SwitchyardError, service } from '@switchyard/core';
import type { KvCommand, RaftNode } from '@switchyard/raft';

export type KvRaft = RaftNode<KvCommand, unknown, string, unknown>;

const KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

function checkKey(key: unknown): string {
  if (typeof key !== 'string' || !KEY.test(key)) {
    throw new SwitchyardError('INVALID_ARGUMENT', 'key must be 1-128 chars of A-Z a-z 0-9 _ . : -');
  }
  return key;
}

/**
 * The replicated key-value service. Every call runs on the Raft leader (the
 * cluster forwards from followers): writes go through the log, reads use
 * ReadIndex, so both are linearizable.
 */
export function kvService(raft: KvRaft) {
  return service('kv', {
    put: method<{ key: string; value: string }, { prev: unknown }>({
      selectors: [rest('PUT', '/kv/:key'), rpc('put')],
      timeout: 3000,
      handler: async (input) => {
        const key = checkKey(input?.key);
        if (typeof input.value !== 'string' || input.value.length > 4096) {
          throw new SwitchyardError(
            'INVALID_ARGUMENT',
            'value must be a string of at most 4096 chars',
          );
        }
        return { prev: await raft.propose({ op: 'put', key, value: input.value }) };
      },
    }),
    get: method<{ key: string }, { value: unknown }>({
      selectors: [rest('GET', '/kv/:key'), rpc('get')],
      idempotent: true,
      timeout: 3000,
      handler: async (input) => ({ value: await raft.read(checkKey(input?.key)) }),
    }),
  });
}

/** Node status for the demo's orchestrator and operators: answered by whichever node receives it. */
export function adminService(nodeId: string, raft: KvRaft, cluster: ClusterNode) {
  return service('admin', {
    status: method<
      void,
      { node: string; leader: string | null; term: number; applied: number; members: string[] }
    >({
      selectors: [rest('GET', '/status')],
      handler: () => {
        const st = raft.status();
        return {
          node: nodeId,
          leader: raft.leader,
          term: st.term,
          applied: st.applied,
          members: cluster
            .members()
            .filter((m) => m.status === 'alive')
            .map((m) => m.id)
            .sort(),
        };
      },
    }),
  });
}
