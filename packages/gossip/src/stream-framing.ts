import type { Socket } from 'node:net';

/**
 * One length-prefixed message each way on a TCP connection (u32 big-endian
 * length, then the bytes). The length is checked against `max` before any
 * buffering, so a hostile prefix costs nothing.
 */
export function writeFrame(socket: Socket, data: Uint8Array): void {
  const head = Buffer.allocUnsafe(4);
  head.writeUInt32BE(data.length, 0);
  socket.write(head);
  socket.write(data);
}

/** Reads exactly one frame; resolves undefined on error, close, oversize or timeout. */
export function readFrame(
  socket: Socket,
  max: number,
  timeoutMs: number,
): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let have = 0;
    let want = -1;
    let done = false;
    const finish = (v: Uint8Array | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onEnd);
      socket.off('close', onEnd);
      socket.off('end', onEnd);
      resolve(v);
    };
    const onEnd = (): void => finish(undefined);
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      have += chunk.length;
      if (want < 0 && have >= 4) {
        const all = Buffer.concat(chunks);
        chunks.length = 0;
        chunks.push(all);
        want = all.readUInt32BE(0);
        if (want > max) {
          finish(undefined);
          return;
        }
      }
      if (want >= 0 && have > 4 + want) {
        finish(undefined); // more than one message: protocol violation
        return;
      }
      if (want >= 0 && have === 4 + want) {
        const all = Buffer.concat(chunks);
        finish(new Uint8Array(all.buffer, all.byteOffset + 4, want));
      }
    };
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    socket.on('data', onData);
    socket.once('error', onEnd);
    socket.once('close', onEnd);
    socket.once('end', onEnd);
  });
}
