import { SwitchyardError } from '@switchyard/stream';
import type { ForwardReply, Transport, TransportHandler } from './transport.js';
import type { Message, NodeId } from './types.js';

/**
 * An in-process network for tests and examples: each node gets a transport;
 * messages are delivered asynchronously (next macrotask) so no call stack is
 * shared. `partition`/`heal` cut and restore links.
 */
export class MemoryNetwork {
  private readonly handlers = new Map<NodeId, TransportHandler>();
  private readonly cut = new Set<string>();
  /** Messages in flight at most; beyond it sends are dropped (Raft retries). */
  readonly maxInFlight: number;
  private inFlight = 0;

  constructor(maxInFlight = 100_000) {
    this.maxInFlight = maxInFlight;
  }

  transport(id: NodeId): Transport {
    const net = this;
    return {
      async start(handler) {
        net.handlers.set(id, handler);
      },
      send(messages) {
        for (const m of messages) net.deliver(m, (h) => h.message(m));
      },
      sendSnapshot(m, data, done) {
        const ok = net.deliver(m, (h) => h.snapshot(m, data.slice()));
        setImmediate(() => done(ok));
      },
      forward(to, data, timeoutMs) {
        return net.forward(id, to, data, timeoutMs);
      },
      async close() {
        net.handlers.delete(id);
      },
    };
  }

  /**
   * A forwarded proposal as a call: refused as not sent when the link is cut
   * or the peer is gone at send time; once sent, a cut link or a closed
   * sender loses the reply (the caller sees UNAVAILABLE, maybe executed), and
   * the caller's timeout bounds the wait.
   */
  private forward(
    from: NodeId,
    to: NodeId,
    data: Uint8Array,
    timeoutMs: number,
  ): Promise<ForwardReply> {
    if (this.cut.has(`${from}|${to}`) || !this.handlers.get(to)?.propose) {
      return Promise.reject(
        new SwitchyardError('UNAVAILABLE', `${to} unreachable`, { data: { sent: false } }),
      );
    }
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      const lost = (why: string) =>
        settle(() => reject(new SwitchyardError('UNAVAILABLE', why, { data: { sent: true } })));
      const timer = setTimeout(
        () =>
          settle(() =>
            reject(
              new SwitchyardError('DEADLINE_EXCEEDED', 'forward timed out', {
                data: { sent: true },
              }),
            ),
          ),
        timeoutMs,
      );
      setImmediate(() => {
        const h = this.handlers.get(to);
        if (!h?.propose || this.cut.has(`${from}|${to}`)) {
          lost('request lost');
          return;
        }
        h.propose(from, data.slice(), timeoutMs).then(
          (reply) => {
            if (this.cut.has(`${to}|${from}`) || !this.handlers.has(from)) lost('reply lost');
            else setImmediate(() => settle(() => resolve(reply)));
          },
          (err: unknown) => lost(`peer failed: ${String(err)}`),
        );
      });
    });
  }

  /** Drops messages between the two groups (both ways) until `heal()`. */
  partition(a: readonly NodeId[], b: readonly NodeId[]): void {
    for (const x of a) {
      for (const y of b) {
        this.cut.add(`${x}|${y}`);
        this.cut.add(`${y}|${x}`);
      }
    }
  }

  isolate(id: NodeId): void {
    this.partition(
      [id],
      [...this.handlers.keys()].filter((x) => x !== id),
    );
  }

  heal(): void {
    this.cut.clear();
  }

  private deliver(m: Message, fn: (h: TransportHandler) => void): boolean {
    if (this.cut.has(`${m.from}|${m.to}`) || this.inFlight >= this.maxInFlight) return false;
    if (!this.handlers.has(m.to)) return false;
    this.inFlight++;
    setImmediate(() => {
      this.inFlight--;
      if (this.cut.has(`${m.from}|${m.to}`)) return;
      const h = this.handlers.get(m.to);
      if (h) fn(h);
    });
    return true;
  }
}
