import { defaultCodec } from '@switchyard/codec';
import { type CallHandler, type Session, SwitchyardError } from '@switchyard/stream';
import { connectSession } from '@switchyard/tcp';
import { parseHostPort } from './address.js';

export interface PeerLinksOptions {
  /** Serves calls the peer makes back over the same connection. */
  handler: CallHandler;
  /** Give up connecting after this long (ms). */
  connectTimeout: number;
  /** Calls in flight per peer connection (the session window). */
  window: number;
  /** Keepalive: a silent dead peer is noticed within `timeout` ms. */
  keepalive: { interval: number; timeout: number };
}

interface Link {
  address: string;
  session: Session | undefined;
  connecting: Promise<Session> | undefined;
}

/**
 * One pooled stream session per peer, opened on first use and re-opened after
 * it closes. Concurrent callers share the pending connect, so a burst of
 * forwarded calls never opens more than one connection to a node.
 */
export class PeerLinks {
  private readonly links = new Map<string, Link>();
  private closed = false;

  constructor(private readonly options: PeerLinksOptions) {}

  /** The session to `address`, connecting if needed. Rejects with UNAVAILABLE. */
  get(address: string): Promise<Session> {
    if (this.closed)
      return Promise.reject(new SwitchyardError('UNAVAILABLE', 'cluster links closed'));
    let link = this.links.get(address);
    if (link === undefined) {
      link = { address, session: undefined, connecting: undefined };
      this.links.set(address, link);
    }
    const s = link.session;
    if (s !== undefined && !s.isClosed && !s.draining) return Promise.resolve(s);
    link.session = undefined;
    if (link.connecting === undefined) link.connecting = this.open(link);
    return link.connecting;
  }

  /** The open session to `address`, if any, without connecting (for fire-and-forget sends). */
  peek(address: string): Session | undefined {
    const s = this.links.get(address)?.session;
    return s !== undefined && !s.isClosed && !s.draining ? s : undefined;
  }

  /** Drops the connection to `address` (the member left or died). */
  drop(address: string): void {
    const link = this.links.get(address);
    if (link === undefined) return;
    this.links.delete(address);
    link.session?.close(new SwitchyardError('UNAVAILABLE', `peer ${address} is gone`));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.links.values()];
    this.links.clear();
    await Promise.allSettled(
      all.map((l) => {
        const s = l.session;
        if (s === undefined) return Promise.resolve();
        // A short goaway lets replies to the peer's in-flight calls go out.
        const t = setTimeout(() => s.close(), 500);
        return s.goaway().finally(() => clearTimeout(t));
      }),
    );
  }

  private async open(link: Link): Promise<Session> {
    try {
      const { host, port } = parseHostPort(link.address);
      const session = await connectSession(
        { host, port },
        {
          codec: defaultCodec,
          codecs: [defaultCodec],
          handler: this.options.handler,
          connectTimeout: this.options.connectTimeout,
          window: this.options.window,
          keepalive: this.options.keepalive,
        },
      );
      if (this.closed || this.links.get(link.address) !== link) {
        session.close();
        throw new SwitchyardError('UNAVAILABLE', 'cluster links closed');
      }
      link.session = session;
      void session.closed.then(() => {
        if (link.session === session) link.session = undefined;
      });
      return session;
    } finally {
      link.connecting = undefined;
    }
  }
}
