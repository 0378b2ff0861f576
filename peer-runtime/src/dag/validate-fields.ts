/**
 * The checks of one function spec of unknown shape, as DagIssues: its shape by the one spec definition
 * (validate-spec.ts, every failure collected), then what shape cannot say (the code can travel to a worker).
 * Each issue names the function (or its position when it has no usable id) and the field: `cost.cpu`,
 * `args[2]`, `timeout` for an unknown key.
 */
import type { DagIssue } from '../errors.js';
import { type Failure, INVALID, pathOf, Reader, readAll } from '../schema/index.js';
import { checkSource } from './source-check.js';
import type { FunctionSpec } from './types.js';
import { functionSpecSchema } from './validate-spec.js';

/** An output index inside an arg reference (`args[2][1]`): reported on the reference (`args[2]`). */
const OUTPUT_INDEX_PATH = /^(args\[\d+\])\[1\]$/;

/** The DagIssue code of a failure at `field` (the codes callers branch on predate the kit). */
function issueCode(field: string): DagIssue['code'] {
  if (field === 'cost' || field.startsWith('cost.')) return 'cost';
  if (field === 'timeoutMs') return 'timeout';
  if (field === 'retries') return 'retries';
  return 'shape';
}

/**
 * Checks the functions of one validation, one after another, with one reader: 100,000 functions make
 * allocation the main cost.
 */
export class FunctionChecker {
  readonly #reader = new Reader(true);
  constructor(readonly issues: DagIssue[]) {}

  /**
   * Adds the issues of `value` (the function at `index`, whose id is `id` when it has a usable one) and returns
   * its spec when its shape is valid (even if its code cannot travel: that is an issue, not a shape).
   */
  check(value: unknown, index: number, id: string | undefined): FunctionSpec | undefined {
    const reader = this.#reader;
    const spec = readAll(functionSpecSchema, value, reader);
    for (const failure of reader.failures) this.#add(failure, index, id);
    if (spec === INVALID) return undefined;
    if (spec.code.kind === 'source') {
      const checked = checkSource(spec.code.source);
      if (!checked.ok) this.push('code', 'code', `its code cannot travel: ${checked.reason}`, index, id);
    }
    return spec;
  }

  /** Adds one issue of the function at `index`, its message naming the function. */
  push(code: DagIssue['code'], field: string, message: string, index: number, id: string | undefined): void {
    this.issues.push(
      id === undefined
        ? { code, field, message: `functions[${index}]: ${message}` }
        : { code, functionId: id, field, message: `function '${id}': ${message}` },
    );
  }

  #add(failure: Failure, index: number, id: string | undefined): void {
    const path = pathOf(failure);
    const outputIndex = OUTPUT_INDEX_PATH.exec(path);
    const field = outputIndex ? outputIndex[1]! : path;
    const code = outputIndex ? 'output-index' : issueCode(field);
    // A failure of the spec as a whole (it could not be read) has no field of its own: name the spec.
    this.push(code, field || `functions[${index}]`, `${path || 'the spec'} ${failure.complaint}`, index, id);
  }
}

/** The producer an arg reference names, or undefined when the reference is malformed (reported as shape). */
export function producerOf(ref: unknown): string | undefined {
  if (typeof ref === 'string') return ref === '' ? undefined : ref;
  if (Array.isArray(ref) && ref.length === 2 && typeof ref[0] === 'string' && ref[0] !== '') return ref[0];
  return undefined;
}

/** The output index an arg reference asks for, if it is a well-formed one. */
export function outputOf(ref: unknown): number | undefined {
  if (!Array.isArray(ref)) return undefined;
  const output: unknown = ref[1];
  return Number.isSafeInteger(output) && (output as number) >= 0 ? (output as number) : undefined;
}
