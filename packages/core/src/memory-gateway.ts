import { SwitchyardError } from '@switchyard/stream';
import type { Connection, Metadata } from './connection.js';
import type { Gateway, GatewayHost } from './gateway.js';
import type { MethodEntry } from './method-entry.js';

export interface MemoryCallOptions {
  metadata?: Metadata;
  /** Milliseconds until the call fails with DEADLINE_EXCEEDED. */
  timeout?: number;
  signal?: AbortSignal;
}

export interface PushRecord {
  readonly topic: string;
  readonly value: unknown;
}

/** A virtual client connection: calls go straight to dispatch, pushes are recorded. */
export interface MemoryClient {
  readonly connection: Connection;
  /** Pushes received, oldest first (the last `maxPushes` only). */
  readonly pushes: readonly PushRecord[];
  readonly topics: ReadonlySet<string>;
  call(method: string | number, input?: unknown, options?: MemoryCallOptions): Promise<unknown>;
  /** Server-stream or bidi output as an async iterable. */
  stream(
    method: string | number,
    input?: unknown,
    options?: MemoryCallOptions,
  ): AsyncIterable<unknown>;
  /** Client-stream or bidi: the input items come from `items`. */
  send(
    method: string | number,
    items: AsyncIterable<unknown> | Iterable<unknown>,
    options?: MemoryCallOptions,
  ): Promise<unknown>;
  close(): void;
}

export interface MemoryGateway extends Gateway, Omit<MemoryClient, 'close' | 'topics'> {
  /** Opens another virtual connection. */
  connect(options?: { remoteAddress?: string; maxPushes?: number }): MemoryClient;
  readonly methods: readonly MethodEntry[];
}

let nextId = 0;

/**
 * A gateway without sockets: for unit tests and for measuring the dispatch
 * path alone. The default connection serves `gateway.call(...)`.
 */
export function memoryGateway(options: { name?: string; maxPushes?: number } = {}): MemoryGateway {
  return new MemoryGatewayImpl(options.name ?? 'memory', options.maxPushes ?? 1000);
}

class MemoryGatewayImpl implements MemoryGateway {
  methods: readonly MethodEntry[] = [];
  private host: GatewayHost | undefined;
  private readonly clients = new Set<MemoryClientImpl>();
  private readonly topicMembers = new Map<string, Set<MemoryClientImpl>>();
  private defaultClient: MemoryClientImpl | undefined;

  constructor(
    readonly name: string,
    private readonly maxPushes: number,
  ) {}

  register(methods: readonly MethodEntry[]): void {
    this.methods = methods;
  }

  async start(host: GatewayHost): Promise<void> {
    this.host = host;
  }

  drain(): void {}

  async stop(): Promise<void> {
    for (const c of [...this.clients]) c.close();
    this.host = undefined;
  }

  publish(topic: string, value: unknown): void {
    const members = this.topicMembers.get(topic);
    if (members) for (const c of members) c.record(topic, value);
  }

  requireHost(): GatewayHost {
    if (this.host === undefined) {
      throw new SwitchyardError('UNAVAILABLE', `gateway '${this.name}' is not started`);
    }
    return this.host;
  }

  connect(options: { remoteAddress?: string; maxPushes?: number } = {}): MemoryClient {
    const host = this.requireHost();
    const client = new MemoryClientImpl(
      this,
      options.remoteAddress ?? '127.0.0.1',
      options.maxPushes ?? this.maxPushes,
    );
    this.clients.add(client);
    host.connectionOpened(client.connection);
    return client;
  }

  private get main(): MemoryClientImpl {
    if (this.defaultClient === undefined || this.defaultClient.closed) {
      this.defaultClient = this.connect() as MemoryClientImpl;
    }
    return this.defaultClient;
  }

  get connection(): Connection {
    return this.main.connection;
  }

  get pushes(): readonly PushRecord[] {
    return this.main.pushes;
  }

  call(method: string | number, input?: unknown, options?: MemoryCallOptions): Promise<unknown> {
    if (this.host === undefined)
      return Promise.reject(
        new SwitchyardError('UNAVAILABLE', `gateway '${this.name}' is not started`),
      );
    return this.main.call(method, input, options);
  }

  stream(
    method: string | number,
    input?: unknown,
    options?: MemoryCallOptions,
  ): AsyncIterable<unknown> {
    return this.main.stream(method, input, options);
  }

  send(
    method: string | number,
    items: AsyncIterable<unknown> | Iterable<unknown>,
    options?: MemoryCallOptions,
  ): Promise<unknown> {
    return this.main.send(method, items, options);
  }

  subscribeClient(client: MemoryClientImpl, topic: string): void {
    let set = this.topicMembers.get(topic);
    if (!set) this.topicMembers.set(topic, (set = new Set()));
    set.add(client);
  }

  unsubscribeClient(client: MemoryClientImpl, topic: string): void {
    const set = this.topicMembers.get(topic);
    if (!set) return;
    set.delete(client);
    if (set.size === 0) this.topicMembers.delete(topic);
  }

  closed(client: MemoryClientImpl): void {
    for (const t of client.topics) this.unsubscribeClient(client, t);
    this.clients.delete(client);
    this.host?.connectionClosed(client.connection);
  }
}

class MemoryClientImpl implements MemoryClient {
  readonly connection: Connection;
  readonly pushes: PushRecord[] = [];
  readonly topics = new Set<string>();
  closed = false;

  constructor(
    private readonly gateway: MemoryGatewayImpl,
    remoteAddress: string,
    private readonly maxPushes: number,
  ) {
    const id = `mem-${++nextId}`;
    this.connection = {
      id,
      gateway: gateway.name,
      transport: 'memory',
      remoteAddress,
      push: (topic, value) => this.record(topic, value),
      subscribe: (topic) => {
        this.topics.add(topic);
        gateway.subscribeClient(this, topic);
      },
      unsubscribe: (topic) => {
        this.topics.delete(topic);
        gateway.unsubscribeClient(this, topic);
      },
    };
  }

  record(topic: string, value: unknown): void {
    if (this.closed) return;
    this.pushes.push({ topic, value });
    // Bounded: a test that never reads its pushes must not grow without end.
    if (this.pushes.length > this.maxPushes) this.pushes.shift();
  }

  call(method: string | number, input?: unknown, options?: MemoryCallOptions): Promise<unknown> {
    if (this.closed) return Promise.reject(new SwitchyardError('UNAVAILABLE', 'connection closed'));
    const host = this.gateway.requireHost();
    if (options === undefined) return host.dispatch({ method, input, connection: this.connection });
    return host.dispatch({
      method,
      input,
      connection: this.connection,
      ...requestOptions(options),
    });
  }

  stream(
    method: string | number,
    input?: unknown,
    options?: MemoryCallOptions,
  ): AsyncIterable<unknown> {
    const self = this;
    return {
      async *[Symbol.asyncIterator]() {
        const out = (await self.call(method, input, options)) as AsyncIterable<unknown>;
        yield* out;
      },
    };
  }

  send(
    method: string | number,
    items: AsyncIterable<unknown> | Iterable<unknown>,
    options?: MemoryCallOptions,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new SwitchyardError('UNAVAILABLE', 'connection closed'));
    const host = this.gateway.requireHost();
    const inputStream = toAsync(items);
    return host.dispatch({
      method,
      inputStream,
      connection: this.connection,
      ...requestOptions(options ?? {}),
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.gateway.closed(this);
  }
}

function requestOptions(options: MemoryCallOptions): {
  metadata?: Metadata;
  deadline?: number;
  signal?: AbortSignal;
} {
  const out: { metadata?: Metadata; deadline?: number; signal?: AbortSignal } = {};
  if (options.metadata) out.metadata = options.metadata;
  if (options.timeout !== undefined) out.deadline = performance.now() + options.timeout;
  if (options.signal) out.signal = options.signal;
  return out;
}

async function* toAsync(
  items: AsyncIterable<unknown> | Iterable<unknown>,
): AsyncGenerator<unknown> {
  yield* items;
}
