/**
 * A minimal WebSocket load client over node:net, so the client is not what
 * limits the numbers (the `ws` client tops out near 80k msgs/s here).
 *
 * Shortcuts a real client must not take, harmless for a benchmark: the mask
 * key is always zero (a valid key that leaves the payload as is, so frames are
 * built once and only their seq patched), and server frames are assumed to be
 * unfragmented binary frames.
 *
 * Counts: in `rpc` mode one RESPONSE frame is one reply (a server may pack
 * several frames into one WebSocket message); in `echo` mode one WebSocket
 * message is one reply. `repliesPerWsMessage` shows how much packing happened.
 * With a server pid it also reports the server's CPU time per reply (from
 * /proc), steadier than throughput on a shared machine.
 *
 * Usage (one JSON line on stdout):
 *   node --import tsx bench/lean-client.ts <port> <mode: echo|rpc|rpc-packed> <connections> <inFlight> <warmupMs> <measureMs> [serverPid]
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import {
  countReplies,
  helloFrame,
  parseHelloMethods,
  requestFrame,
  SEQ_OFFSET,
} from './rpc-frames.js';

interface Args {
  serverPid: number | undefined;
  port: number;
  mode: Mode;
  connections: number;
  inFlight: number;
  warmupMs: number;
  measureMs: number;
}

/**
 * echo: one 64 B message per request (raw baselines). rpc: one stream REQUEST
 * frame per WebSocket message. rpc-packed: the requests of one turn packed in
 * one WebSocket message, which is what `connectWs` sends (the session writes a
 * turn's frames as one chunk and the conduit sends each chunk as one message).
 */
type Mode = 'echo' | 'rpc' | 'rpc-packed';
const MODES: readonly Mode[] = ['echo', 'rpc', 'rpc-packed'];

function parseArgs(argv: string[]): Args {
  const [port, mode, connections, inFlight, warmupMs, measureMs, serverPid] = argv;
  if (!MODES.includes(mode as Mode)) throw new Error(`mode must be one of ${MODES}, got ${mode}`);
  return {
    serverPid: serverPid === undefined ? undefined : Number(serverPid),
    port: Number(port),
    mode: mode as Mode,
    connections: Number(connections ?? 10),
    inFlight: Number(inFlight ?? 1),
    warmupMs: Number(warmupMs ?? 1000),
    measureMs: Number(measureMs ?? 3000),
  };
}

/** A masked (zero key) binary client frame around `payload`. */
export function clientFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.alloc(clientHeaderLength(payload.byteLength) + payload.byteLength);
  const headerLen = writeClientHeader(frame, payload.byteLength);
  frame.set(payload, headerLen);
  return frame;
}

function clientHeaderLength(len: number): number {
  return len < 126 ? 6 : len < 65536 ? 8 : 14;
}

/** Writes a binary, final, masked (zero key) header for `len` payload bytes; returns its length. */
function writeClientHeader(frame: Buffer, len: number): number {
  const headerLen = clientHeaderLength(len);
  frame.fill(0, 0, headerLen);
  frame[0] = 0x82;
  if (len < 126) {
    frame[1] = 0x80 | len;
  } else if (len < 65536) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(len, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(len), 2);
  }
  // Mask key bytes stay zero.
  return headerLen;
}

function upgrade(port: number): Promise<{ socket: Socket; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.byteLength > 8192) reject(new Error('upgrade response too large'));
        return;
      }
      socket.off('data', onData);
      const status = head.subarray(0, head.indexOf('\r\n')).toString();
      if (!status.includes(' 101 ')) {
        reject(new Error(`upgrade failed: ${status}`));
        socket.destroy();
        return;
      }
      resolve({ socket, rest: head.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.write(
        `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
    });
  });
}

interface Counter {
  /** Replies completed in this chunk of WebSocket payload. */
  count(payload: Buffer): number;
}

class Connection {
  replies = 0;
  /** WebSocket messages received (a Switchyard message may carry several replies). */
  messages = 0;
  private pending: Buffer = Buffer.alloc(0);
  private seq = 1;

  constructor(
    private readonly socket: Socket,
    private readonly template: Buffer,
    /** Byte offset of the u32 LE seq inside `template`, or -1 for plain echo. */
    private readonly seqOffset: number,
    private readonly counter: Counter,
    /** The raw request frame to pack `n` to a message (rpc-packed), else undefined. */
    private readonly packed?: { request: Uint8Array; seqOffset: number },
  ) {}

  start(inFlight: number, rest: Buffer): void {
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.send(inFlight);
    if (rest.byteLength > 0) this.onData(rest);
  }

  private send(n: number): void {
    if (this.packed !== undefined) {
      this.sendPacked(n, this.packed.request, this.packed.seqOffset);
      return;
    }
    const size = this.template.byteLength;
    // All requests of one turn leave in one write (NOTES.md: batching is worth 10×).
    const out = Buffer.allocUnsafe(n * size);
    for (let i = 0; i < n; i++) {
      this.template.copy(out, i * size);
      if (this.seqOffset >= 0) {
        out.writeUInt32LE(this.seq, i * size + this.seqOffset);
        this.seq = this.seq === 0xffffffff ? 1 : this.seq + 1;
      }
    }
    this.socket.write(out);
  }

  private sendPacked(n: number, request: Uint8Array, seqOffset: number): void {
    const size = request.byteLength;
    const out = Buffer.allocUnsafe(clientHeaderLength(n * size) + n * size);
    let at = writeClientHeader(out, n * size);
    for (let i = 0; i < n; i++, at += size) {
      out.set(request, at);
      out.writeUInt32LE(this.seq, at + seqOffset);
      this.seq = this.seq === 0xffffffff ? 1 : this.seq + 1;
    }
    this.socket.write(out);
  }

  private onData(chunk: Buffer): void {
    const buf = this.pending.byteLength === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let done = 0;
    let offset = 0;
    for (;;) {
      if (buf.byteLength - offset < 2) break;
      const b1 = buf[offset + 1]! & 0x7f;
      let headerLen = 2;
      let len = b1;
      if (b1 === 126) {
        if (buf.byteLength - offset < 4) break;
        len = buf.readUInt16BE(offset + 2);
        headerLen = 4;
      } else if (b1 === 127) {
        if (buf.byteLength - offset < 10) break;
        len = Number(buf.readBigUInt64BE(offset + 2));
        headerLen = 10;
      }
      if (buf.byteLength - offset < headerLen + len) break;
      const opcode = buf[offset]! & 0x0f;
      if (opcode === 0x2 || opcode === 0x0) {
        this.messages++;
        done += this.counter.count(buf.subarray(offset + headerLen, offset + headerLen + len));
      } else if (opcode === 0x8) {
        throw new Error(
          `server closed: ${buf.subarray(offset + headerLen + 2, offset + headerLen + len).toString()}`,
        );
      }
      offset += headerLen + len;
    }
    this.pending = offset === buf.byteLength ? Buffer.alloc(0) : Buffer.from(buf.subarray(offset));
    if (done > 0) {
      this.replies += done;
      this.send(done);
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

/** CPU seconds (user + system) a process used so far, from /proc (Linux); undefined elsewhere. */
function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/** Reads WebSocket messages until the first one (the server HELLO) is complete. */
function firstMessage(socket: Socket, rest: Buffer): Promise<{ message: Buffer; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = rest;
    const tryParse = (): boolean => {
      if (buf.byteLength < 2) return false;
      const b1 = buf[1]! & 0x7f;
      let headerLen = 2;
      let len = b1;
      if (b1 === 126) {
        if (buf.byteLength < 4) return false;
        len = buf.readUInt16BE(2);
        headerLen = 4;
      } else if (b1 === 127) {
        if (buf.byteLength < 10) return false;
        len = Number(buf.readBigUInt64BE(2));
        headerLen = 10;
      }
      if (buf.byteLength < headerLen + len) return false;
      socket.off('data', onData);
      resolve({
        message: buf.subarray(headerLen, headerLen + len),
        rest: buf.subarray(headerLen + len),
      });
      return true;
    };
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      tryParse();
    };
    if (tryParse()) return;
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const payload = new Uint8Array(64).fill(0x61);
  const conns: Connection[] = [];
  for (let i = 0; i < args.connections; i++) {
    const opened = await upgrade(args.port);
    const { socket } = opened;
    let rest = opened.rest;
    let template: Buffer;
    let seqOffset = -1;
    let counter: Counter;
    let packed: { request: Uint8Array; seqOffset: number } | undefined;
    if (args.mode === 'echo') {
      template = clientFrame(payload);
      counter = { count: () => 1 };
    } else {
      socket.write(clientFrame(helloFrame()));
      const first = await firstMessage(socket, rest);
      rest = first.rest;
      const methods = parseHelloMethods(first.message);
      const id = methods.indexOf('bench.echo');
      if (id < 0) throw new Error('server does not offer bench.echo');
      const request = requestFrame(id, payload);
      template = clientFrame(request);
      // The seq sits at SEQ_OFFSET inside the payload; the WS header comes first.
      seqOffset = template.byteLength - request.byteLength + SEQ_OFFSET;
      counter = { count: countReplies };
      if (args.mode === 'rpc-packed') packed = { request, seqOffset: SEQ_OFFSET };
    }
    const conn = new Connection(socket, template, seqOffset, counter, packed);
    conns.push(conn);
    conn.start(args.inFlight, rest);
  }
  const total = (): number => conns.reduce((sum, c) => sum + c.replies, 0);
  const totalMessages = (): number => conns.reduce((sum, c) => sum + c.messages, 0);
  await new Promise((r) => setTimeout(r, args.warmupMs));
  const startCount = total();
  const startMessages = totalMessages();
  const startCpu = process.cpuUsage();
  const serverCpu0 = processCpuSeconds(args.serverPid);
  const start = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, args.measureMs));
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  const count = total() - startCount;
  const wsMessages = totalMessages() - startMessages;
  const serverCpu1 = processCpuSeconds(args.serverPid);
  const serverCpuUsPerReply =
    serverCpu0 === undefined || serverCpu1 === undefined || count === 0
      ? undefined
      : ((serverCpu1 - serverCpu0) * 1e6) / count;
  const cpu = process.cpuUsage(startCpu);
  // Share of one core the client used: near 1 means the client, not the server, was the limit.
  const clientCpu = (cpu.user + cpu.system) / 1e6 / elapsed;
  for (const c of conns) c.close();
  process.stdout.write(
    `${JSON.stringify({
      msgsPerSec: count / elapsed,
      count,
      repliesPerWsMessage: wsMessages === 0 ? 0 : count / wsMessages,
      seconds: elapsed,
      clientCpu,
      serverCpuUsPerReply,
    })}\n`,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
