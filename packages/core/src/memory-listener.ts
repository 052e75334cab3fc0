import {
  type Conduit,
  type ConduitListener,
  createConduitPair,
  SwitchyardError,
} from '@switchyard/stream';

export interface MemoryListener extends ConduitListener {
  /** Opens an in-memory connection; returns the client's end. */
  connect(): Conduit;
}

/**
 * A ConduitListener over in-memory conduit pairs: serve an edge through
 * `streamGateway(memoryListener())` and talk to it with a real stream session,
 * no sockets. Conduits opened before the gateway started wait (at most 1024).
 */
export function memoryListener(): MemoryListener {
  let handler: ((conduit: Conduit) => void) | undefined;
  let closed = false;
  const backlog: Conduit[] = [];
  return {
    address: {},
    onConduit(h) {
      handler = h;
      for (const c of backlog.splice(0)) h(c);
    },
    async close() {
      closed = true;
    },
    connect() {
      if (closed) throw new SwitchyardError('UNAVAILABLE', 'listener closed');
      const [client, server] = createConduitPair();
      if (handler) handler(server);
      else if (backlog.length < 1024) backlog.push(server);
      else throw new SwitchyardError('RESOURCE_EXHAUSTED', 'listener backlog full');
      return client;
    },
  };
}
