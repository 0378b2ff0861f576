/**
 * Validation of a DAG that may come from anywhere — the builder, a file, or untrusted JSON off the wire — so
 * nothing about its shape is assumed. Every problem is reported at once, each naming its function and field,
 * so a user fixes a DAG in one round rather than one error per run.
 *
 * Cost: linear in the DAG plus one parse per distinct source text (checkSource caches by text); 100,000
 * functions validate in well under a second (bench/validate.bench.ts).
 */
import { type DagIssue, DagValidationError } from '../errors.js';
import {
  anything,
  choice,
  constant,
  describe,
  isPlainObject,
  list,
  object,
  pathOf,
  Reader,
  readAll,
} from '../schema/index.js';
import { type DependencyEdges, findCycles } from './cycles.js';
import { runSteps, STEP_FUNCTIONS } from './steps.js';
import type { DagJSON, FunctionSpec } from './types.js';
import { FunctionChecker, outputOf, producerOf } from './validate-fields.js';
import { MAX_FUNCTIONS, MAX_ID } from './validate-spec.js';

export { topologicalOrder } from './order.js';

/** The graph as validation sees it: parallel arrays indexed by node (first occurrence of each id). */
interface Graph {
  readonly ids: string[];
  readonly outputs: (number | undefined)[];
  /** The raw args arrays (shape already checked; malformed entries are skipped). */
  readonly args: (readonly unknown[])[];
  readonly indexById: Map<string, number>;
}

/** Every problem of the DAG; an empty list means it is valid. */
export function validateDag(dag: DagJSON | readonly FunctionSpec[]): DagIssue[] {
  return runSteps(validateDagSteps(dag));
}

/**
 * {@link validateDag} in steps: the generator pauses (yields) after every `every` functions and returns the
 * issues, so that a caller with other work on its event loop (a coordinator's heartbeats during the intake of a
 * 100,000-function DAG, coordinator/run-intake.ts) can let that work run between steps.
 */
export function* validateDagSteps(
  dag: DagJSON | readonly FunctionSpec[],
  every = STEP_FUNCTIONS,
): Generator<void, DagIssue[], void> {
  const issues: DagIssue[] = [];
  const list = functionsOf(dag as unknown, issues);
  if (!list) return issues;

  const graph: Graph = { ids: [], outputs: [], args: [], indexById: new Map() };
  const duplicates = new Map<string, number[]>();
  const checker = new FunctionChecker(issues);
  for (let i = 0; i < list.length; i++) {
    if (i > 0 && i % every === 0) yield;
    const raw: unknown = list[i];
    if (!isPlainObject(raw)) {
      issues.push({
        code: 'shape',
        field: `functions[${i}]`,
        message: `functions[${i}] must be a function spec object, got ${describe(raw)}`,
      });
      continue;
    }
    const f = raw;
    // An id the spec schema refuses (empty, too long) does not name the function: its position does.
    const rawId = readSafely(() => f.id);
    const id = typeof rawId === 'string' && rawId !== '' && rawId.length <= MAX_ID ? rawId : undefined;
    const spec = checker.check(f, i, id);
    if (id === undefined) continue;
    // The graph of a valid spec comes from its validated copy; an invalid one's from what can be read of it,
    // so that its consumers get no "missing dependency" beside its own problems.
    const outputs = spec ? spec.outputs : readSafely(() => f.outputs);
    const args = spec ? spec.args : readSafely(() => f.args);
    const first = graph.indexById.get(id);
    if (first !== undefined) {
      const at = duplicates.get(id) ?? [first];
      at.push(i);
      duplicates.set(id, at);
      continue;
    }
    graph.indexById.set(id, graph.ids.length);
    graph.ids.push(id);
    graph.outputs.push(typeof outputs === 'number' ? outputs : undefined);
    graph.args.push(Array.isArray(args) ? args : []);
  }
  for (const [id, at] of duplicates) {
    issues.push({
      code: 'duplicate-id',
      functionId: id,
      field: 'id',
      message: `function '${id}' is defined ${at.length} times (functions[${at.join('], functions[')}]); ids must be unique`,
    });
  }

  yield;
  const deps = checkReferences(graph, issues);
  issues.push(...findCycles(graph.ids, deps));
  return issues;
}

/** Throw a {@link DagValidationError} listing every problem, or return if there is none. */
export function assertValidDag(dag: DagJSON | readonly FunctionSpec[]): void {
  const issues = validateDag(dag);
  if (issues.length > 0) throw new DagValidationError(issues);
}

/** The DAG JSON around the functions; the functions themselves are checked one by one (FunctionChecker). */
const dagHeader = object<{ format: 'handout-dag'; version: 1; functions: unknown[] }>({
  format: choice(['handout-dag']),
  version: constant(1),
  functions: list(anything(), { max: MAX_FUNCTIONS }),
});

function functionsOf(dag: unknown, issues: DagIssue[]): readonly unknown[] | undefined {
  if (Array.isArray(dag)) return dag;
  if (typeof dag !== 'object' || dag === null) {
    issues.push({
      code: 'shape',
      message: `a DAG is an array of function specs or { format: 'handout-dag', version: 1, functions: [...] }, not ${describe(dag)}`,
    });
    return undefined;
  }
  const reader = new Reader(true);
  readAll(dagHeader, dag, reader);
  for (const failure of reader.failures) {
    const field = pathOf(failure);
    issues.push({ code: 'shape', field, message: `the DAG's ${field} ${failure.complaint}` });
  }
  const functions = readSafely(() => (dag as { functions?: unknown }).functions);
  return Array.isArray(functions) ? functions : undefined;
}

/**
 * A field of an input that passed through the kit already: a getter or Proxy trap that throws has been reported
 * there as a value that cannot be read, so here it only reads as absent.
 */
function readSafely(read: () => unknown): unknown {
  try {
    return read();
  } catch {
    // Safe: the kit already reported this value as unreadable, so the issue is not lost.
    return undefined;
  }
}

/** Missing producers and output indices; returns the dependency edges for cycle finding. */
function checkReferences(graph: Graph, issues: DagIssue[]): DependencyEdges {
  const { ids, outputs, args, indexById } = graph;
  const n = ids.length;
  const start = new Int32Array(n + 1);
  const targets: number[] = [];
  for (let i = 0; i < n; i++) {
    start[i] = targets.length;
    const id = ids[i]!;
    const refs = args[i]!;
    for (let k = 0; k < refs.length; k++) {
      const ref = refs[k];
      const producer = producerOf(ref);
      if (producer === undefined) continue;
      const p = indexById.get(producer);
      if (p === undefined) {
        issues.push({
          code: 'missing-dependency',
          functionId: id,
          field: `args[${k}]`,
          message: `function '${id}': args[${k}] names '${producer}', which is not a function of this DAG`,
        });
        continue;
      }
      targets.push(p);
      const output = outputOf(ref);
      if (output === undefined) continue;
      const declared = outputs[p];
      if (declared === undefined || declared <= 1) {
        issues.push({
          code: 'output-index',
          functionId: id,
          field: `args[${k}]`,
          message: `function '${id}': args[${k}] asks for output ${output} of '${producer}', which has a single output (declare outputs: n on '${producer}' to split its result)`,
        });
      } else if (output >= declared) {
        issues.push({
          code: 'output-index',
          functionId: id,
          field: `args[${k}]`,
          message: `function '${id}': args[${k}] asks for output ${output} of '${producer}', which has outputs 0..${declared - 1}`,
        });
      }
    }
  }
  start[n] = targets.length;
  return { start, targets: Int32Array.from(targets) };
}
