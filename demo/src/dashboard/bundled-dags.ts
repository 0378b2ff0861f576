/**
 * DAGs a person can run from the dashboard with one click. Each is built on demand (no DOM use), and imported
 * formats go through the SDK's importers like an uploaded file would.
 */
import type { DagJSON } from '@handout/peer-runtime';
import { parseStg } from '@handout/sdk';
import { mandelbrotDag } from '../mandelbrot/mandelbrot-dag.js';
// A random graph of the Standard Task Graph Set (Kasahara lab, Waseda University), as distributed.
import rand0000 from '../samples/rand0000.stg?raw';
import { failingDag, fanDag, layeredDag, slowDag } from './synthetic-dags.js';

export interface BundledDag {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  build(): DagJSON;
}

/** Counting primes by trial division: CPU-bound map tasks, then a two-level reduction. */
const COUNT_PRIMES = `function countPrimes(range) {
  let count = 0;
  for (let n = Math.max(2, range.from); n < range.to; n++) {
    if (n % 2 === 0) { if (n === 2) count++; continue; }
    let prime = true;
    for (let d = 3; d * d <= n; d += 2) {
      if (n % d === 0) { prime = false; break; }
    }
    if (prime) count++;
  }
  return count;
}`;
const SUM = 'function sum(...counts) { return counts.reduce((a, b) => a + b, 0); }';

export function primesDag(chunks = 24, perChunk = 200_000, reducers = 4): DagJSON {
  const functions: DagJSON['functions'][number][] = [];
  for (let i = 0; i < chunks; i++) {
    functions.push({
      id: `count-${i}`,
      args: [],
      code: { kind: 'source', source: COUNT_PRIMES },
      extraArgs: [{ from: 5_000_000 + i * perChunk, to: 5_000_000 + (i + 1) * perChunk }],
      cost: { cpu: 1, estimateMs: 40 },
    });
  }
  for (let r = 0; r < reducers; r++) {
    const args = functions.filter((_, i) => i % reducers === r && i < chunks).map((f) => f.id);
    functions.push({ id: `sum-${r}`, args, code: { kind: 'source', source: SUM } });
  }
  functions.push({
    id: 'total',
    args: Array.from({ length: reducers }, (_, r) => `sum-${r}`),
    code: { kind: 'source', source: SUM },
  });
  return { format: 'handout-dag', version: 1, functions };
}

export const BUNDLED_DAGS: readonly BundledDag[] = [
  {
    id: 'mandelbrot',
    title: 'Mandelbrot in 64 tiles',
    description: '64 tile functions → 8 row assemblies → one image, drawn as tiles arrive',
    build: () => mandelbrotDag(),
  },
  {
    id: 'mandelbrot-hd',
    title: 'Mandelbrot in 256 tiles',
    description: '1024 × 1024 pixels, 16 × 16 tiles',
    build: () => mandelbrotDag({ size: 1024, tiles: 16 }),
  },
  {
    id: 'stg-rand0000',
    title: 'STG rand0000 (50 tasks)',
    description: 'a random task graph from the Standard Task Graph Set, 15 ms of CPU work per time unit',
    build: () => parseStg(rand0000, { scaleMs: 15 }).toJSON(),
  },
  {
    id: 'primes',
    title: 'Count primes (map-reduce)',
    description: '24 CPU-bound counts → 4 partial sums → total',
    build: () => primesDag(),
  },
  {
    id: 'fan-3k',
    title: '3,031 instant functions (fan-in)',
    description:
      '3,000 functions of about 0 ms → 30 sums → total: the task stream and running chart under load',
    build: () => fanDag(),
  },
  {
    id: 'layers-10k',
    title: '10,000 functions in six layers',
    description: 'load → parse → feature → score → reduce → total, drawn as collapsed groups',
    build: () => layeredDag(),
  },
  {
    id: 'failing',
    title: 'A run with failures',
    description: 'two of eight parses always throw (two retries each); the summary is skipped',
    build: () => failingDag(),
  },
  {
    id: 'slow',
    title: '40 slow steps (to cancel)',
    description: '40 functions of 250 ms each, then a sum',
    build: () => slowDag(),
  },
];

export function findBundledDag(id: string): BundledDag | undefined {
  return BUNDLED_DAGS.find((d) => d.id === id);
}
