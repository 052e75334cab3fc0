import { type Session, SwitchyardError } from '@switchyard/stream';
import { connectSession } from '@switchyard/tcp';
import WebSocket from 'ws';

export type Protocol = 'rest' | 'ws' | 'tcp';

/** One connection to one node, speaking one protocol. */
export interface KvClient {
  readonly protocol: Protocol;
  put(key: string, value: string): Promise<void>;
  /** The value, or null when the key is absent. */
  get(key: string): Promise<unknown>;
  close(): void;
}

const TIMEOUT = 3000;

export async function openClient(protocol: Protocol, address: string): Promise<KvClient> {
  switch (protocol) {
    case 'rest':
      return restClient(address);
    case 'ws':
      return wsClient(address);
    case 'tcp':
      return tcpClient(address);
  }
}

/** REST over fetch (keep-alive); errors come back as `{code, message, data}` bodies. */
function restClient(address: string): KvClient {
  const base = `http://${address}`;
  const call = async (path: string, init: RequestInit): Promise<unknown> => {
    const res = await fetch(`${base}${path}`, {
      ...init,
      signal: AbortSignal.timeout(TIMEOUT),
    }).catch((e: unknown) => {
      throw new SwitchyardError('UNAVAILABLE', `http ${address}: ${(e as Error).message}`);
    });
    const text = await res.text();
    const body = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok) {
      const code = typeof body.code === 'string' ? body.code : 'UNKNOWN';
      throw SwitchyardError.fromJSON({
        code,
        message: String(body.message ?? res.status),
        data: body.data,
      });
    }
    return body;
  };
  return {
    protocol: 'rest',
    async put(key, value) {
      await call(`/kv/${key}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value }),
      });
    },
    async get(key) {
      const r = (await call(`/kv/${key}`, { method: 'GET' })) as { value?: unknown };
      return r.value ?? null;
    },
    close() {},
  };
}

/** WebSocket in the gateway's JSON text mode: one JSON object per message. */
async function wsClient(address: string): Promise<KvClient> {
  const socket = new WebSocket(`ws://${address}/`);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(
      () => reject(new SwitchyardError('UNAVAILABLE', `ws ${address}: connect timeout`)),
      TIMEOUT,
    );
    socket.once('open', () => {
      clearTimeout(t);
      resolve();
    });
    socket.once('error', (e) => {
      clearTimeout(t);
      reject(new SwitchyardError('UNAVAILABLE', `ws ${address}: ${e.message}`));
    });
  });
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  const failAll = (why: string): void => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.reject(new SwitchyardError('UNAVAILABLE', why));
      pending.delete(id);
    }
  };
  socket.on('message', (data) => {
    let msg: {
      id?: number;
      result?: unknown;
      error?: { code: string; message: string; data?: unknown };
    };
    try {
      msg = JSON.parse(String(data));
    } catch {
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = pending.get(msg.id);
    if (p === undefined) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.error) p.reject(SwitchyardError.fromJSON(msg.error));
    else p.resolve(msg.result);
  });
  socket.on('close', () => failAll(`ws ${address}: connection closed`));
  socket.on('error', () => failAll(`ws ${address}: connection error`));
  const call = (method: string, input: unknown): Promise<unknown> => {
    if (socket.readyState !== WebSocket.OPEN) {
      return Promise.reject(new SwitchyardError('UNAVAILABLE', `ws ${address}: not open`));
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new SwitchyardError('DEADLINE_EXCEEDED', `ws ${address}: no answer`));
      }, TIMEOUT + 500);
      pending.set(id, { resolve, reject, timer });
      socket.send(JSON.stringify({ id, method, input, timeout: TIMEOUT }));
    });
  };
  return {
    protocol: 'ws',
    async put(key, value) {
      await call('kv.put', { key, value });
    },
    async get(key) {
      const r = (await call('kv.get', { key })) as { value?: unknown };
      return r.value ?? null;
    },
    close() {
      failAll('closed');
      socket.terminate();
    },
  };
}

/** The binary stream protocol over TCP. */
async function tcpClient(address: string): Promise<KvClient> {
  const at = address.lastIndexOf(':');
  const session: Session = await connectSession(
    { host: address.slice(0, at), port: Number(address.slice(at + 1)) },
    { connectTimeout: TIMEOUT, keepalive: { interval: 500, timeout: 1500 } },
  );
  return {
    protocol: 'tcp',
    async put(key, value) {
      await session.call('kv.put', { key, value }, { timeout: TIMEOUT });
    },
    async get(key) {
      const r = await session.call<{ value?: unknown }>('kv.get', { key }, { timeout: TIMEOUT });
      return r.value ?? null;
    },
    close() {
      session.close();
    },
  };
}
