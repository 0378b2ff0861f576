/**
 * What the compact forms of 1fe8ec2 cost in CPU (issue 16): packing a digest or small inline bytes into a
 * one-byte string and back (mesh/packed-bytes.ts), and a MeshRun location kept in columns and rebuilt on each
 * read (mesh/location-book.ts) against the object-per-function Map it replaced. A micro-benchmark, in this
 * process: ns per operation, the median of 7 rounds of 200,000 operations each. Each no-op function of the
 * mesh benchmark costs the coordinator about one location write, three location reads (its two consumers'
 * inputs and its completion) and one directory pack and read, so a few of these per function.
 * `pnpm bench packed-bytes`, or `node --conditions=source --import tsx bench/packed-bytes.bench.ts`.
 */
import { pathToFileURL } from 'node:url';
import { LocationBook } from '../peer-runtime/src/mesh/location-book.js';
import type { ResultLocation } from '../peer-runtime/src/mesh/mesh-run.js';
import { packBytes, unpackBytes } from '../peer-runtime/src/mesh/packed-bytes.js';
import type { BenchResult } from './types.js';

const N = 200_000;
const ROUNDS = 7;

/** Median ns per call of `op(k)` for k in 0..N-1. `op` returns something so its work is not dropped. */
function nsPer(op: (k: number) => unknown): number {
  let sink = 0;
  const times: number[] = [];
  for (let r = 0; r < ROUNDS + 1; r++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < N; k++) if (op(k) !== undefined) sink++;
    const ns = Number(process.hrtime.bigint() - t0) / N;
    if (r > 0) times.push(ns); // the first round warms up
  }
  if (sink === 0) throw new Error('packed-bytes: nothing computed');
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

export async function benchPackedBytes(): Promise<BenchResult> {
  const SIZE = 4096;
  const digests = Array.from({ length: SIZE }, (_, k) => {
    const d = new Uint8Array(32);
    for (let j = 0; j < 32; j++) d[j] = (k * 31 + j * 7) & 0xff;
    return d;
  });
  const inline = digests.map((d) => d.subarray(0, 12));
  const packed = digests.map(packBytes);
  const hashes = digests.map((_, k) => `h${k.toString(16).padStart(63, '0')}`);
  const location = (k: number): ResultLocation => ({
    hash: hashes[k]!,
    size: 12,
    holders: [`peer-${k & 1}`],
    inline: inline[k]!,
    digest: digests[k]!,
  });
  const book = new LocationBook(SIZE);
  const objects = new Map<number, ResultLocation>();
  for (let k = 0; k < SIZE; k++) {
    book.set(k, hashes[k]!, location(k));
    objects.set(k, location(k));
  }
  const m: Record<string, number> = {
    packDigestNs: nsPer((k) => packBytes(digests[k % SIZE]!)),
    unpackDigestNs: nsPer((k) => unpackBytes(packed[k % SIZE]!)),
    copyDigestNs: nsPer((k) => digests[k % SIZE]!.slice()),
    locationBookSetNs: nsPer((k) => book.set(k % SIZE, hashes[k % SIZE]!, location(k % SIZE)) ?? 1),
    objectMapSetNs: nsPer((k) => objects.set(k % SIZE, location(k % SIZE))),
    locationBookGetNs: nsPer((k) => book.get(k % SIZE, hashes[k % SIZE]!)),
    objectMapGetNs: nsPer((k) => objects.get(k % SIZE)),
  };
  // One write and three reads of a location, one pack and one unpack of a digest: about one function's worth.
  m.perFunctionCompactNs =
    m.locationBookSetNs! + 3 * m.locationBookGetNs! + m.packDigestNs! + m.unpackDigestNs!;
  m.perFunctionObjectsNs = m.objectMapSetNs! + 3 * m.objectMapGetNs!;
  const f = (x: number) => x.toFixed(0);
  return {
    name: 'packed-bytes',
    metrics: m,
    summary:
      `packed bytes (ns per operation, median of ${ROUNDS} × ${N.toLocaleString('en')}): pack a 32 B digest ${f(m.packDigestNs!)}, ` +
      `unpack ${f(m.unpackDigestNs!)} (a plain copy ${f(m.copyDigestNs!)}); location write ${f(m.locationBookSetNs!)} ` +
      `(object in a Map ${f(m.objectMapSetNs!)}), read ${f(m.locationBookGetNs!)} (Map ${f(m.objectMapGetNs!)}); ` +
      `about one function's worth: ${f(m.perFunctionCompactNs!)} ns compact vs ${f(m.perFunctionObjectsNs!)} ns as objects ` +
      `(+${((m.perFunctionCompactNs! - m.perFunctionObjectsNs!) / 1000).toFixed(2)} µs per function)`,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchPackedBytes();
  console.log(JSON.stringify(result, null, 2));
  console.log(result.summary);
}
