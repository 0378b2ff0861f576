// The bundled example DAG (`pnpm handout run examples/hello.dag.mjs`). A DAG file needs no imports: it
// default-exports a plain array of function specs whose `code` are real functions. Each function must be
// self-contained (it travels to a worker as source text), so helpers are defined inside it, not beside it.
//
// Two independent branches run in parallel:
// - word count as map-reduce: `text` is split into 3 chunks by a multi-output function (`outputs: 3`, each chunk
//   consumed by index), each chunk is counted on its own, `top-words` merges the counts and keeps the top N
//   (N passed as an extra argument);
// - pi by Monte Carlo: 4 chunks sample points with their own seed and sample count (extra arguments), `pi`
//   combines them. The generator is seeded, so the estimate is the same on every run.

const TEXT = `the quick brown fox jumps over the lazy dog
the dog sleeps and the fox runs
a fox a dog and the end of the story of the fox`;

const countWords = (chunk) => {
  const counts = {};
  for (const word of chunk.split(/\s+/).filter(Boolean)) counts[word] = (counts[word] ?? 0) + 1;
  return counts;
};

const sample = (seed, samples) => {
  // mulberry32: a tiny seeded generator, so every run draws the same points.
  let s = seed >>> 0;
  const random = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  let inside = 0;
  for (let i = 0; i < samples; i++) {
    const x = random();
    const y = random();
    if (x * x + y * y <= 1) inside++;
  }
  return { inside, samples };
};

const PI_CHUNKS = 4;
const SAMPLES_PER_CHUNK = 250_000;

export default [
  // extraArgs are constants appended after the dependency values: here the whole input.
  { id: 'text', code: (text) => text, extraArgs: [TEXT] },
  {
    id: 'split',
    args: ['text'],
    outputs: 3,
    // Returns an array of exactly `outputs` values; consumers address them as ['split', i].
    code: (text, parts) => {
      const words = text.split(/\s+/).filter(Boolean);
      const size = Math.ceil(words.length / parts);
      return Array.from({ length: parts }, (_, i) => words.slice(i * size, (i + 1) * size).join(' '));
    },
    extraArgs: [3],
  },
  { id: 'count-0', args: [['split', 0]], code: countWords },
  { id: 'count-1', args: [['split', 1]], code: countWords },
  { id: 'count-2', args: [['split', 2]], code: countWords },
  {
    id: 'top-words',
    args: ['count-0', 'count-1', 'count-2'],
    code: (...args) => {
      const top = args.pop();
      const total = {};
      for (const counts of args) for (const [w, n] of Object.entries(counts)) total[w] = (total[w] ?? 0) + n;
      return Object.entries(total)
        .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
        .slice(0, top);
    },
    extraArgs: [5],
  },
  ...Array.from({ length: PI_CHUNKS }, (_, i) => ({
    id: `pi-${i}`,
    code: sample,
    extraArgs: [i + 1, SAMPLES_PER_CHUNK],
  })),
  {
    id: 'pi',
    args: Array.from({ length: PI_CHUNKS }, (_, i) => `pi-${i}`),
    code: (...chunks) => {
      let inside = 0;
      let samples = 0;
      for (const c of chunks) {
        inside += c.inside;
        samples += c.samples;
      }
      return (4 * inside) / samples;
    },
  },
];
