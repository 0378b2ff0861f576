/**
 * Generated DAGs for looking at the dashboard under load, as a new user tries it: thousands of near-instant
 * functions (what broke the old running chart), a 10,000-function layered DAG (what the grouped graph is for),
 * a run with failures (what the detail panel is for) and a slow one to cancel. Each function gets its index as
 * an extra argument, so no two share a content hash (identical functions would run once).
 */
import type { DagJSON, FunctionSpec } from '@handout/peer-runtime';

const IDENTITY = '(i) => i';
const SUM = '(...xs) => xs.reduce((a, b) => a + (typeof b === "number" ? b : 0), 0)';
const dag = (functions: FunctionSpec[]): DagJSON => ({ format: 'handout-dag', version: 1, functions });
const src = (source: string) => ({ kind: 'source' as const, source });

/** `maps` instant functions, reduced `perReduce` at a time, then one total: 3,031 functions by default. */
export function fanDag(maps = 3000, perReduce = 100): DagJSON {
  const fns: FunctionSpec[] = [];
  for (let i = 0; i < maps; i++) fns.push({ id: `map-${i}`, args: [], code: src(IDENTITY), extraArgs: [i] });
  const reduces = Math.ceil(maps / perReduce);
  for (let r = 0; r < reduces; r++) {
    const args = fns.slice(r * perReduce, Math.min(maps, (r + 1) * perReduce)).map((f) => f.id);
    fns.push({ id: `reduce-${r}`, args, code: src(SUM), extraArgs: [r] });
  }
  fns.push({ id: 'total', args: Array.from({ length: reduces }, (_, r) => `reduce-${r}`), code: src(SUM) });
  return dag(fns);
}

/**
 * Six layers of tiny functions, 10,000 in all with the defaults: load → parse → feature (two parses each) →
 * score → reduce (about 24 scores each) → total.
 */
export function layeredDag(width = 2500): DagJSON {
  const fns: FunctionSpec[] = [];
  for (let i = 0; i < width; i++)
    fns.push({ id: `load-${i}`, args: [], code: src(IDENTITY), extraArgs: [i] });
  for (let i = 0; i < width; i++) fns.push({ id: `parse-${i}`, args: [`load-${i}`], code: src(SUM) });
  for (let i = 0; i < width; i++)
    fns.push({ id: `feature-${i}`, args: [`parse-${i}`, `parse-${(i + 1) % width}`], code: src(SUM) });
  const scores = width - Math.round(width / 25);
  for (let i = 0; i < scores; i++) fns.push({ id: `score-${i}`, args: [`feature-${i}`], code: src(SUM) });
  const reduces = Math.round((width * 99) / 2500);
  for (let r = 0; r < reduces; r++) {
    const args: string[] = [];
    // Spread evenly, so every reduce has inputs (and sits on the fifth layer).
    for (let i = Math.floor((r * scores) / reduces); i < Math.floor(((r + 1) * scores) / reduces); i++)
      args.push(`score-${i}`);
    fns.push({ id: `reduce-${r}`, args, code: src(SUM), extraArgs: [r] });
  }
  fns.push({ id: 'total', args: Array.from({ length: reduces }, (_, r) => `reduce-${r}`), code: src(SUM) });
  return dag(fns);
}

const PARSE = `function parse(record, i) {
  if (i % 4 === 3) throw new Error('malformed record ' + i + ': expected a number');
  return record * 2;
}`;

/** Eight records parsed (two of them always throw, with two retries each), then a summary that is skipped. */
export function failingDag(): DagJSON {
  const fns: FunctionSpec[] = [];
  for (let i = 0; i < 8; i++) fns.push({ id: `fetch-${i}`, args: [], code: src(IDENTITY), extraArgs: [i] });
  for (let i = 0; i < 8; i++)
    fns.push({ id: `parse-${i}`, args: [`fetch-${i}`], code: src(PARSE), extraArgs: [i], retries: 2 });
  fns.push({ id: 'summary', args: Array.from({ length: 8 }, (_, i) => `parse-${i}`), code: src(SUM) });
  return dag(fns);
}

const SPIN = '(i, ms) => { const end = Date.now() + ms; while (Date.now() < end) {} return i; }';

/** `n` functions of `ms` of CPU each, then a sum: slow enough to watch, or to cancel. */
export function slowDag(n = 40, ms = 250): DagJSON {
  const fns: FunctionSpec[] = [];
  for (let i = 0; i < n; i++)
    fns.push({
      id: `step-${i}`,
      args: [],
      code: src(SPIN),
      extraArgs: [i, ms],
      cost: { cpu: 1, estimateMs: ms },
    });
  fns.push({ id: 'sum', args: fns.map((f) => f.id), code: src(SUM) });
  return dag(fns);
}
