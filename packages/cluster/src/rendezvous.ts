/**
 * Rendezvous (highest-random-weight) hashing: every node scores every key and
 * the highest score owns it. Unlike a ring it needs no virtual nodes to stay
 * balanced, and when a member leaves only the keys it owned move.
 */

/** 32-bit FNV-1a over UTF-16 code units, then a murmur3 finalizer for avalanche. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The score of `node` for `key`; ties are broken by node id so the answer is total. */
export function rendezvousScore(key: string, node: string): number {
  // Hashing the node id and using it as the seed keeps the pair order-sensitive
  // without building a concatenated string per candidate.
  return hash32(key, hash32(node));
}

/**
 * The owner of `key` among `nodes`, or undefined when there is none. Pure and
 * independent of the order of `nodes`: every member computing it over the same
 * live set agrees.
 */
export function rendezvousOwner(key: string, nodes: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestScore = -1;
  for (const node of nodes) {
    const s = rendezvousScore(key, node);
    if (s > bestScore || (s === bestScore && best !== undefined && node < best)) {
      best = node;
      bestScore = s;
    }
  }
  return best;
}

/** The `count` highest-scoring nodes for `key`, best first (replica sets, fallbacks). */
export function rendezvousRank(key: string, nodes: Iterable<string>, count: number): string[] {
  const scored: { node: string; score: number }[] = [];
  for (const node of nodes) scored.push({ node, score: rendezvousScore(key, node) });
  scored.sort((a, b) => b.score - a.score || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return scored.slice(0, Math.max(0, count)).map((s) => s.node);
}
