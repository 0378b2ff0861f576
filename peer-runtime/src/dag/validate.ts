/**
 * Validation of a DAG that may come from anywhere — the builder, a file, or untrusted JSON off the wire — so
 * nothing about its shape is assumed. Every problem is reported at once, each naming its function and field,
 * so a user fixes a DAG in one round rather than one error per run.
 *
 * Cost: linear in the DAG plus one parse per distinct source text (checkSource caches by text); 100,000
 * functions validate in well under a second (bench/validate.bench.ts).
 */
import { type DagIssue, DagValidationError } from '../errors.js';
import { type DependencyEdges, findCycles } from './cycles.js';
import type { DagJSON, FunctionSpec } from './types.js';
import { checkFunctionFields, describeValue, IssueSink, outputOf, producerOf } from './validate-fields.js';

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
  const issues: DagIssue[] = [];
  const list = functionsOf(dag as unknown, issues);
  if (!list) return issues;

  const graph: Graph = { ids: [], outputs: [], args: [], indexById: new Map() };
  const duplicates = new Map<string, number[]>();
  const sink = new IssueSink(issues);
  for (let i = 0; i < list.length; i++) {
    const raw: unknown = list[i];
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      issues.push({
        code: 'shape',
        field: `functions[${i}]`,
        message: `functions[${i}] is ${describeValue(raw)}, not a function spec object`,
      });
      continue;
    }
    const f = raw as Record<string, unknown>;
    const id = typeof f.id === 'string' && f.id !== '' ? f.id : undefined;
    if (id === undefined) {
      issues.push({
        code: 'shape',
        field: 'id',
        message: `functions[${i}] has no id (got ${describeValue(f.id)}; an id is a non-empty string)`,
      });
    }
    sink.index = i;
    sink.id = id;
    checkFunctionFields(f, sink);
    if (id === undefined) continue;
    const first = graph.indexById.get(id);
    if (first !== undefined) {
      const at = duplicates.get(id) ?? [first];
      at.push(i);
      duplicates.set(id, at);
      continue;
    }
    graph.indexById.set(id, graph.ids.length);
    graph.ids.push(id);
    graph.outputs.push(typeof f.outputs === 'number' ? f.outputs : undefined);
    graph.args.push(Array.isArray(f.args) ? f.args : []);
  }
  for (const [id, at] of duplicates) {
    issues.push({
      code: 'duplicate-id',
      functionId: id,
      field: 'id',
      message: `function '${id}' is defined ${at.length} times (functions[${at.join('], functions[')}]); ids must be unique`,
    });
  }

  const deps = checkReferences(graph, issues);
  issues.push(...findCycles(graph.ids, deps));
  return issues;
}

/** Throw a {@link DagValidationError} listing every problem, or return if there is none. */
export function assertValidDag(dag: DagJSON | readonly FunctionSpec[]): void {
  const issues = validateDag(dag);
  if (issues.length > 0) throw new DagValidationError(issues);
}

function functionsOf(dag: unknown, issues: DagIssue[]): readonly unknown[] | undefined {
  if (Array.isArray(dag)) return dag;
  if (typeof dag !== 'object' || dag === null) {
    issues.push({
      code: 'shape',
      message: `a DAG is an array of function specs or { format: 'handout-dag', version: 1, functions: [...] }, not ${describeValue(dag)}`,
    });
    return undefined;
  }
  const d = dag as Record<string, unknown>;
  if (d.format !== 'handout-dag') {
    issues.push({
      code: 'shape',
      field: 'format',
      message: `the DAG's format is ${describeValue(d.format)}; expected 'handout-dag'`,
    });
  }
  if (d.version !== 1) {
    issues.push({
      code: 'shape',
      field: 'version',
      message: `the DAG's version is ${describeValue(d.version)}; this Handout reads version 1`,
    });
  }
  if (!Array.isArray(d.functions)) {
    issues.push({
      code: 'shape',
      field: 'functions',
      message: `the DAG's functions is ${describeValue(d.functions)}, not an array`,
    });
    return undefined;
  }
  return d.functions;
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
