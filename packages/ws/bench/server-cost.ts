/**
 * Server-side CPU per call, without the network: the gateway's binary path
 * (UwsConduit → stream session → edge dispatch → reply) driven in-process
 * through a fake uWS socket, the way uWS calls it (one `message` callback per
 * incoming WebSocket message carrying one REQUEST frame). Shows what the
 * Switchyard server costs per RPC, apart from uWS and the kernel.
 *
 *   node --import tsx bench/server-cost.ts      (env: CONNECTIONS=10 IN_FLIGHT=256 SECONDS=3)
 */
import { createEdge, type GatewayHost, method, service, silentLogger } from '@switchyard/core';
import { startBinarySession } from '../src/binary-session.js';
import { UwsConduit, type UwsSocketLike } from '../src/uws-conduit.js';
import { WsPeer } from '../src/ws-peer.js';
import {
  countReplies,
  helloFrame,
  parseHelloMethods,
  requestFrame,
  SEQ_OFFSET,
} from './rpc-frames.js';

const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 256);
const SECONDS = Number(process.env.SECONDS ?? 3);

const bench = service('bench', {
  echo: method<Uint8Array, Uint8Array>({ handler: (input) => input }),
});
const edge = createEdge({ services: [bench], logger: silentLogger });
const host = edge as unknown as GatewayHost;
const entries = new Map(edge.methods.map((m) => [m.name, m]));
const methods = [...entries.keys()];

/** Hands a message to the conduit as uWS would: a fresh ArrayBuffer per message (uWS then detaches it; skipped here, it costs a serialisation in JS). */
function deliver(conduit: UwsConduit, bytes: Uint8Array): void {
  const ab = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(ab).set(bytes);
  conduit.handleMessage(ab);
}

interface Peer {
  conduit: UwsConduit;
  replies: number;
  messages: number;
  onReply: (n: number) => void;
  seq: number;
  request: Uint8Array;
}

async function open(): Promise<Peer> {
  const peer: Peer = {
    conduit: undefined as unknown as UwsConduit,
    replies: 0,
    messages: 0,
    onReply: () => {},
    seq: 1,
    request: new Uint8Array(0),
  };
  let first: Uint8Array | undefined;
  const socket: UwsSocketLike = {
    send: (message) => {
      if (first === undefined) {
        first = new Uint8Array(message);
        return 1;
      }
      peer.messages++;
      const n = countReplies(message);
      peer.replies += n;
      peer.onReply(n);
      return 1;
    },
    end: () => {},
    cork: (cb) => cb(),
    getBufferedAmount: () => 0,
  };
  const ws = new WsPeer('ws', '127.0.0.1', undefined);
  const conduit = new UwsConduit(
    socket,
    { id: ws.id, transport: 'ws', remoteAddress: '127.0.0.1' },
    { drainBelow: 1 << 19, maxInboxBytes: 1 << 22 },
  );
  peer.conduit = conduit;
  startBinarySession(host, ws, conduit, entries, methods, {
    window: 4096,
    maxFrameSize: 1 << 20,
    keepalive: false,
  });
  deliver(conduit, helloFrame());
  await new Promise((r) => setImmediate(r));
  if (first === undefined) throw new Error('no server HELLO');
  const id = parseHelloMethods(first).indexOf('bench.echo');
  peer.request = new Uint8Array(requestFrame(id, new Uint8Array(64).fill(0x61)));
  return peer;
}

function send(peer: Peer, n: number): void {
  const view = new DataView(peer.request.buffer, peer.request.byteOffset);
  for (let i = 0; i < n; i++) {
    view.setUint32(SEQ_OFFSET, peer.seq, true);
    peer.seq = peer.seq === 0xffffffff ? 1 : peer.seq + 1;
    deliver(peer.conduit, peer.request);
  }
}

async function main(): Promise<void> {
  const peers: Peer[] = [];
  for (let i = 0; i < CONNECTIONS; i++) peers.push(await open());
  await new Promise((r) => setImmediate(r));
  let stop = false;
  // Replies come back in a later turn; the next requests go out in a new turn, as from the network.
  for (const p of peers) p.onReply = (n) => !stop && setImmediate(() => send(p, n));
  for (const p of peers) send(p, IN_FLIGHT);
  await new Promise((r) => setTimeout(r, 500));
  const r0 = peers.reduce((s, p) => s + p.replies, 0);
  const m0 = peers.reduce((s, p) => s + p.messages, 0);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const replies = peers.reduce((s, p) => s + p.replies, 0) - r0;
  const messages = peers.reduce((s, p) => s + p.messages, 0) - m0;
  stop = true;
  console.log(
    JSON.stringify({
      callsPerSec: Math.round(replies / elapsed),
      usPerCall: Number(((elapsed * 1e6) / replies).toFixed(3)),
      // CPU time (this process, user + system) per call: steadier than wall time on a shared machine.
      cpuUsPerCall: Number(((cpu.user + cpu.system) / replies).toFixed(3)),
      repliesPerMessage: Number((replies / messages).toFixed(1)),
    }),
  );
  process.exit(0);
}

await main();
