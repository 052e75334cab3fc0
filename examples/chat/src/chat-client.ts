import WebSocket from 'ws';

export interface ChatMessage {
  from: string;
  text: string;
  via: string;
}

/** A tiny client for the WebSocket gateway's JSON text mode. */
export class ChatClient {
  readonly received: ChatMessage[] = [];
  private nextId = 1;
  private readonly pending = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: Error) => void }
  >();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data)) as {
        id?: number;
        result?: unknown;
        error?: { message: string };
        push?: string;
        value?: ChatMessage;
      };
      if (msg.push !== undefined && msg.value) this.received.push(msg.value);
      if (typeof msg.id === 'number') {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(msg.error.message));
        else p?.resolve(msg.result);
      }
    });
    socket.on('close', () => {
      for (const p of this.pending.values()) p.reject(new Error('connection closed'));
      this.pending.clear();
    });
  }

  static open(url: string): Promise<ChatClient> {
    const socket = new WebSocket(url);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new ChatClient(socket)));
      socket.once('error', reject);
    });
  }

  call(method: string, input: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.socket.send(JSON.stringify({ id, method, input, timeout: 5000 }));
    });
  }

  close(): void {
    this.socket.terminate();
  }
}
