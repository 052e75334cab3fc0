import { SwitchyardError } from '@switchyard/stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNodes, stopNodes, type TestNode, waitFor } from '../test/in-process-cluster.js';
import { acctServices, newProbe, type StreamProbe } from '../test/node-services.js';
import { rendezvousOwner } from './rendezvous.js';

/**
 * Client-stream and bidi calls forwarded across three in-process nodes:
 * n1 relays to n2 (the owner) with `cluster.forward`, exactly as the edge
 * does for a streamed-input call that arrives at the wrong node.
 */
const IDS = ['n1', 'n2', 'n3'];

/** An input stream that counts what the relay pulled from it. */
function counted<T>(items: Iterable<T>): { stream: AsyncIterable<T>; pulled: () => number } {
  let pulled = 0;
  return {
    stream: (async function* () {
      for (const v of items) {
        pulled++;
        yield v;
      }
    })(),
    pulled: () => pulled,
  };
}

function* range(n: number): Generator<number> {
  for (let i = 1; i <= n; i++) yield i;
}

describe('forwarding client-stream and bidi calls', () => {
  let nodes: TestNode[] = [];
  const probes: Record<string, StreamProbe> = {};
  const relay = () => (nodes[0] as TestNode).cluster;
  const owner = () => probes.n2 as StreamProbe;
  const forward = (
    method: string,
    inputStream: AsyncIterable<unknown>,
    extra: { metadata?: Record<string, string>; ms?: number; signal?: AbortSignal } = {},
  ) =>
    relay().forward('n2', {
      method,
      input: undefined,
      inputStream,
      metadata: { acct: 'a', ...extra.metadata },
      deadline: performance.now() + (extra.ms ?? 5000),
      ...(extra.signal ? { signal: extra.signal } : {}),
    });

  beforeAll(async () => {
    nodes = await startNodes(IDS, (id, cluster) => {
      probes[id] = newProbe();
      return acctServices(id, cluster, probes[id]);
    });
  });
  afterAll(() => stopNodes(nodes));

  it('relays a client-stream call: every item reaches the owner, its result comes back', async () => {
    const before = (nodes[1] as TestNode).cluster.stats().forwardedIn;
    owner().read = 0;
    const result = await forward('acct.tally', counted(range(500)).stream);
    expect(result).toEqual({ node: 'n2', sum: 125_250, count: 500 });
    expect((nodes[1] as TestNode).cluster.stats().forwardedIn).toBe(before + 1);
  });

  it('relays a bidi call: replies come back in order, interleaved with the input', async () => {
    const replies = (await forward(
      'acct.echo',
      counted(['x', 'y', 'z']).stream,
    )) as AsyncIterable<string>;
    const got: string[] = [];
    for await (const r of replies) got.push(r);
    expect(got).toEqual(['n2:x', 'n2:y', 'n2:z']);
  });

  it('carries backpressure: a slow owner holds the caller back, the relay buffers boundedly', async () => {
    owner().read = 0;
    const ac = new AbortController();
    const input = counted(range(100_000));
    const pending = forward('acct.tally', input.stream, {
      metadata: { delay: '5' },
      ms: 20_000,
      signal: ac.signal,
    });
    await waitFor(() => owner().read >= 10, 5000, 'owner reading');
    // Pulled but not yet read sits in the two hops' credit windows (64 each): bounded, not 100 000.
    expect(input.pulled() - owner().read).toBeLessThanOrEqual(2 * 64 + 4);
    await new Promise((r) => setTimeout(r, 100));
    expect(input.pulled() - owner().read).toBeLessThanOrEqual(2 * 64 + 4);
    ac.abort();
    await expect(pending).rejects.toThrow(SwitchyardError);
  });

  it('cancels both ways: the caller aborting cancels the owner; the owner failing stops the input', async () => {
    owner().aborted = false;
    owner().read = 0;
    const ac = new AbortController();
    const input = counted(range(100_000));
    const pending = forward('acct.tally', input.stream, {
      metadata: { delay: '5' },
      ms: 20_000,
      signal: ac.signal,
    });
    await waitFor(() => owner().read >= 3, 5000, 'owner reading');
    ac.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwitchyardError);
    expect((err as SwitchyardError).code).toBe('CANCELLED');
    await waitFor(() => owner().aborted, 5000, 'owner cancelled');

    // The owner fails after two items: the caller sees its error, the relay stops pulling.
    owner().read = 0;
    const input2 = counted(range(100_000));
    const replies = (await forward('acct.echo', input2.stream, {
      metadata: { failAfter: '2' },
    })) as AsyncIterable<string>;
    const got: string[] = [];
    const failure = await (async () => {
      for await (const r of replies) got.push(r);
    })().catch((e: unknown) => e);
    expect(got).toEqual(['n2:1', 'n2:2']);
    expect(failure).toBeInstanceOf(SwitchyardError);
    await new Promise((r) => setTimeout(r, 50));
    expect(input2.pulled()).toBeLessThanOrEqual(2 * 64 + 4);
  });

  it('moves a stream that could not be sent (unknown or unreachable node) to the next owner', async () => {
    const result = await relay().forward('gone', {
      method: 'acct.tally',
      input: undefined,
      inputStream: counted(range(4)).stream,
      metadata: { acct: 'a' },
      deadline: performance.now() + 5000,
    });
    expect(result).toEqual({ node: rendezvousOwner('a', IDS), sum: 10, count: 4 });
  });

  it('carries the deadline: the owner sees at most what the caller had left', async () => {
    await forward('acct.tally', counted(range(3)).stream, { ms: 1500 });
    expect(owner().remaining).toBeGreaterThan(0);
    // Whole milliseconds on the wire and a coarse clock: allow a few ms of rounding.
    expect(owner().remaining).toBeLessThanOrEqual(1505);
  });
});
