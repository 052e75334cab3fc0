// Codec bench: encode/decode ops/s and encoded bytes for a small RPC envelope
// and a ~4 KiB payload, every candidate in one process, interleaved rounds,
// medians. Baseline: JSON.stringify/JSON.parse with the UTF-8 Buffer
// conversion both ways, so every candidate goes bytes-to-bytes.
//
// ROUNDS=<n> and WINDOW_MS=<n> tune the run (defaults 15 and 60).
import { decode as mpDecode, encode as mpEncode } from '@msgpack/msgpack';
import { pack, unpack } from 'msgpackr';
import { defaultCodec, fixedLayout, jsonCodec, msgpackrCodec } from '../src/index.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const WINDOW_MS = Number(process.env.WINDOW_MS ?? 60);

interface Candidate {
  name: string;
  encode: () => number;
  decode: () => unknown;
  bytes: number;
}

let sink = 0;

function candidate(
  name: string,
  enc: (v: any) => Uint8Array,
  dec: (b: Uint8Array) => unknown,
  value: unknown,
): Candidate {
  const encoded = enc(value).slice();
  // Sanity: every candidate must round-trip what it is measured on.
  const back = JSON.stringify(dec(encoded), (_k, v) => (typeof v === 'bigint' ? String(v) : v));
  if (back !== JSON.stringify(value)) throw new Error(`${name} does not round-trip: ${back}`);
  return {
    name,
    bytes: encoded.length,
    encode: () => enc(value).length,
    decode: () => dec(encoded),
  };
}

function measure(fn: () => unknown): number {
  const windowNs = BigInt(WINDOW_MS) * 1_000_000n;
  const start = process.hrtime.bigint();
  let ops = 0;
  let now = start;
  do {
    for (let i = 0; i < 500; i++) {
      const r = fn();
      sink = (sink + (typeof r === 'number' ? r : 1)) | 0;
    }
    ops += 500;
    now = process.hrtime.bigint();
  } while (now - start < windowNs);
  return (ops * 1e9) / Number(now - start);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function run(
  candidates: Candidate[],
): Map<string, { encode: number; decode: number; bytes: number }> {
  const samples = new Map(
    candidates.map((c) => [c.name, { encode: [] as number[], decode: [] as number[] }]),
  );
  for (const c of candidates) {
    measure(c.encode);
    measure(c.decode);
  }
  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order so no candidate always runs right after GC-heavy ones.
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[(i + round) % candidates.length]!;
      const s = samples.get(c.name)!;
      s.encode.push(measure(c.encode));
      s.decode.push(measure(c.decode));
    }
  }
  const out = new Map<string, { encode: number; decode: number; bytes: number }>();
  for (const c of candidates) {
    const s = samples.get(c.name)!;
    out.set(c.name, { encode: median(s.encode), decode: median(s.decode), bytes: c.bytes });
  }
  return out;
}

const jsonEncode = (v: unknown) => Buffer.from(JSON.stringify(v), 'utf8');
const jsonDecode = (b: Uint8Array) =>
  JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.length).toString('utf8'));

// ~95 bytes as JSON.
const envelope = {
  id: 12345,
  method: 'user.get',
  params: { user: 'bob', n: 42, flags: true, tags: ['a', 'beta'] },
};
const structures = [
  ['id', 'method', 'params'],
  ['user', 'n', 'flags', 'tags'],
];
const records = msgpackrCodec({ id: 3, records: { structures } });
const recordsReceiver = msgpackrCodec({ id: 3, records: { structures } });
const jsonC = jsonCodec();

// The same envelope flattened into a fixed layout (tags as two short fields).
const flatFields = {
  id: 'u32',
  method: { string: 16 },
  user: { string: 16 },
  n: 'u32',
  flags: 'bool',
  tag0: { string: 8 },
  tag1: { string: 8 },
} as const;
const flatEnvelope = fixedLayout({ id: 16, name: 'envelope', fields: flatFields });
const flat = {
  id: envelope.id,
  method: envelope.method,
  user: envelope.params.user,
  n: envelope.params.n,
  flags: envelope.params.flags,
  tag0: 'a',
  tag1: 'beta',
};
const flatEncoded = flatEnvelope.encode(flat);
// The same layout through the generic loop decoder (no code generation).
const flatLoop = fixedLayout({ id: 16, name: 'envelope', fields: flatFields, codegen: false });

const scratch = new Uint8Array(64 * 1024);
const msgpackrEncoded = defaultCodec.encode(envelope).slice();

const small: Candidate[] = [
  candidate('json', jsonEncode, jsonDecode, envelope),
  candidate(
    'msgpackr',
    (v) => defaultCodec.encode(v),
    (b) => defaultCodec.decode(b),
    envelope,
  ),
  candidate(
    'msgpackr-records',
    (v) => records.encode(v),
    (b) => recordsReceiver.decode(b),
    envelope,
  ),
  candidate('msgpackr-raw-pack', pack, unpack, envelope),
  candidate('@msgpack/msgpack', mpEncode, mpDecode, envelope),
  candidate(
    'json-codec',
    (v) => jsonC.encode(v),
    (b) => jsonC.decode(b),
    envelope,
  ),
  {
    name: 'msgpackr-encodeInto',
    bytes: defaultCodec.encode(envelope).length,
    encode: () => defaultCodec.encodeInto(envelope, scratch, 0),
    decode: () => defaultCodec.decode(msgpackrEncoded),
  },
  {
    name: 'fixed-layout',
    bytes: flatEncoded.length,
    encode: () => flatEnvelope.encodeInto(flat, scratch, 0),
    decode: () => flatEnvelope.decode(flatEncoded),
  },
  {
    name: 'fixed-layout-loop',
    bytes: flatEncoded.length,
    encode: () => flatLoop.encodeInto(flat, scratch, 0),
    decode: () => flatLoop.decode(flatEncoded),
  },
];

// ~4 KiB as JSON: a page of rows.
const page = {
  id: 99,
  method: 'orders.list',
  result: Array.from({ length: 28 }, (_, i) => ({
    orderId: 100_000 + i,
    customer: `customer-${i}@example.com`,
    total: Math.round(i * 1234.56) / 100,
    paid: i % 3 !== 0,
    items: [i, i + 1, i + 2],
    note: 'deliver to the back door',
  })),
};
const pageRecords = msgpackrCodec({ id: 4, records: true });
const large: Candidate[] = [
  candidate('json', jsonEncode, jsonDecode, page),
  candidate(
    'msgpackr',
    (v) => defaultCodec.encode(v),
    (b) => defaultCodec.decode(b),
    page,
  ),
  candidate(
    'msgpackr-records',
    (v) => pageRecords.encode(v),
    (b) => pageRecords.decode(b),
    page,
  ),
  candidate('@msgpack/msgpack', mpEncode, mpDecode, page),
  candidate(
    'json-codec',
    (v) => jsonC.encode(v),
    (b) => jsonC.decode(b),
    page,
  ),
];

const started = Date.now();
const smallResults = run(small);
const largeResults = run(large);

const fmt = (n: number) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${(n / 1e3).toFixed(0)}k`);
function table(
  title: string,
  results: Map<string, { encode: number; decode: number; bytes: number }>,
) {
  const json = results.get('json')!;
  console.log(`\n${title}  (ops/s, median of ${ROUNDS} rounds × ${WINDOW_MS} ms)`);
  console.log(
    `${'codec'.padEnd(22)}${'bytes'.padStart(7)}${'encode'.padStart(10)}${'decode'.padStart(10)}${'enc/json'.padStart(10)}${'dec/json'.padStart(10)}`,
  );
  for (const [name, r] of results) {
    console.log(
      `${name.padEnd(22)}${String(r.bytes).padStart(7)}${fmt(r.encode).padStart(10)}${fmt(r.decode).padStart(10)}${(r.encode / json.encode).toFixed(2).padStart(10)}${(r.decode / json.decode).toFixed(2).padStart(10)}`,
    );
  }
}
table('small RPC envelope', smallResults);
table('~4 KiB payload', largeResults);
console.log(`\n(${((Date.now() - started) / 1000).toFixed(1)} s; sink ${sink & 1})`);
console.log(
  'msgpackr-encodeInto: encodeInto a reused buffer (decode = plain decode); fixed-layout: the envelope flattened, encodeInto (-loop: codegen off); msgpackr-raw-pack: msgpackr pack/unpack without this package.',
);

const results: { name: string; value: number; unit: string }[] = [];
const ratios: Record<string, number> = {};
const round3 = (n: number) => Math.round(n * 1000) / 1000;
for (const [suffix, map] of [
  ['', smallResults],
  [':4k', largeResults],
] as const) {
  const json = map.get('json')!;
  for (const [name, r] of map) {
    results.push({ name: `${name}:encode${suffix}`, value: Math.round(r.encode), unit: 'ops/s' });
    results.push({ name: `${name}:decode${suffix}`, value: Math.round(r.decode), unit: 'ops/s' });
    results.push({ name: `${name}:bytes${suffix}`, value: r.bytes, unit: 'B' });
    if (name !== 'json') {
      ratios[`${name}/json:encode${suffix}`] = round3(r.encode / json.encode);
      ratios[`${name}/json:decode${suffix}`] = round3(r.decode / json.decode);
    }
  }
}
console.log(JSON.stringify({ bench: 'codec/envelope', results, ratios }));
