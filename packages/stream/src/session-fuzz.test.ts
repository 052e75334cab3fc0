import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rawPeer, seedFromEnv, until } from '../test/helpers.js';
import { createConduitPair } from './conduit-pair.js';
import { FrameType } from './frame.js';
import { createSession } from './session.js';

const SOAK = process.env.SWITCHYARD_SOAK === '1';
const hello = Buffer.from(
  JSON.stringify({ versions: [1], maxFrameSize: 65536, window: 8, streamCredit: 4, methods: [] }),
);

const frameArb = fc.record({
  type: fc.integer({ min: 1, max: 12 }),
  flags: fc.integer({ min: 0, max: 0x1f }),
  codec: fc.constantFrom(0, 1, 2, 99),
  seq: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 5 }), fc.nat()),
  method: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.constantFrom('echo', 'count', 'sum', 'x')),
  body: fc.oneof(
    fc.constant(Buffer.alloc(0)),
    fc.constant(Buffer.from('"hi"')),
    fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
  ),
  ext: fc.oneof(
    fc.constant(undefined),
    fc.uint8Array({ maxLength: 12 }).map((u) => Buffer.from(u)),
  ),
});

describe('session fuzz (PROTOCOL.md §11.2)', () => {
  it('random frame sequences after HELLO never crash; the session either answers or closed cleanly', async () => {
    const seed = seedFromEnv();
    await fc.assert(
      fc.asyncProperty(
        fc.array(frameArb, { maxLength: 25 }),
        fc.boolean(),
        async (frames, junkTail) => {
          const [a, b] = createConduitPair();
          const server = createSession(b, {
            role: 'server',
            keepalive: false,
            window: 4,
            streamCredit: 4,
            handler: async (c) => {
              if (c.kind === 'server-stream' || c.kind === 'bidi') {
                return (async function* () {
                  yield 1;
                  yield 2;
                })();
              }
              if (c.inputStream) for await (const _ of c.inputStream) break;
              return c.input;
            },
          });
          const peer = rawPeer(a);
          peer.writer.frame(FrameType.HELLO, 0, 2, 0, 0, hello);
          for (const f of frames) {
            if (f.type === FrameType.HELLO) continue;
            peer.writer.frame(f.type, f.flags, f.codec, f.seq, f.method, f.body, undefined, f.ext);
          }
          if (junkTail)
            peer.writeBytes(
              Buffer.from([
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                24,
              ]),
            );
          // A well-formed ping must be answered unless the session closed.
          peer.writer.frame(FrameType.PING, 0, 0, 0, 4242);
          await until(
            () =>
              server.isClosed ||
              peer.frames.some((fr) => fr.type === FrameType.PONG && fr.method === 4242),
            3000,
          );
          if (junkTail) {
            await server.closed;
          }
          expect(peer.errors).toEqual([]);
          a.close();
          await server.closed;
        },
      ),
      { seed, numRuns: SOAK ? 3000 : 60 },
    );
  }, 60_000);
});
