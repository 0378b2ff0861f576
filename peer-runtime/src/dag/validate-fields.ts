/**
 * Field-by-field checks of one function spec of unknown shape. Each problem becomes a DagIssue naming the
 * function (or its position when it has no usable id) and the field, e.g. `cost.cpu`, `args[2]`.
 */
import type { DagIssue } from '../errors.js';
import { findUnhashable } from './canonical.js';
import { checkSource } from './source-check.js';

/** A short, safe description of a value for messages (never the whole of a big or hostile value). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNonNegativeFinite(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/**
 * Collects the issues of one validation, for the function currently being checked. One sink per validation
 * rather than a closure per function: 100,000 functions make allocation the main cost.
 */
export class IssueSink {
  /** The current function's id, or undefined when it has none (messages then name its position). */
  id: string | undefined;
  /** The current function's position in the list. */
  index = 0;
  constructor(readonly issues: DagIssue[]) {}

  push(code: DagIssue['code'], field: string, message: string): void {
    const id = this.id;
    this.issues.push(
      id === undefined
        ? { code, field, message: `functions[${this.index}]: ${message}` }
        : { code, functionId: id, field, message: `function '${id}': ${message}` },
    );
  }
}

/**
 * Check every field of the sink's current function. Arg references that are malformed are reported here;
 * whether producers exist and have the output asked for is checked once all functions are known.
 */
export function checkFunctionFields(f: Record<string, unknown>, sink: IssueSink): void {
  checkArgs(f.args, sink);
  checkCode(f.code, sink);
  if (f.outputs !== undefined && !(Number.isInteger(f.outputs) && (f.outputs as number) >= 1)) {
    sink.push('shape', 'outputs', `outputs must be an integer >= 1 (got ${describeValue(f.outputs)})`);
  }
  checkNode(f.node, sink);
  checkCost(f.cost, sink);
  if (f.timeoutMs !== undefined && !(Number.isSafeInteger(f.timeoutMs) && (f.timeoutMs as number) > 0)) {
    sink.push(
      'timeout',
      'timeoutMs',
      `timeoutMs must be a whole number of milliseconds > 0 (got ${describeValue(f.timeoutMs)})`,
    );
  }
  if (f.retries !== undefined && !(Number.isSafeInteger(f.retries) && (f.retries as number) >= 0)) {
    sink.push('retries', 'retries', `retries must be a whole number >= 0 (got ${describeValue(f.retries)})`);
  }
  if (f.cache !== undefined && typeof f.cache !== 'boolean') {
    sink.push('shape', 'cache', `cache must be true or false (got ${describeValue(f.cache)})`);
  }
  checkExtraArgs(f.extraArgs, sink);
}

function checkArgs(args: unknown, sink: IssueSink): void {
  if (args === undefined) return;
  if (!Array.isArray(args)) {
    sink.push(
      'shape',
      'args',
      `args must be an array of producer ids or [id, outputIndex] pairs (got ${describeValue(args)})`,
    );
    return;
  }
  for (let k = 0; k < args.length; k++) {
    const ref: unknown = args[k];
    if (typeof ref === 'string' && ref !== '') continue;
    if (Array.isArray(ref) && ref.length === 2 && typeof ref[0] === 'string' && ref[0] !== '') {
      const output: unknown = ref[1];
      if (!(Number.isSafeInteger(output) && (output as number) >= 0)) {
        sink.push(
          'output-index',
          `args[${k}]`,
          `args[${k}] has output index ${describeValue(output)}; an index is an integer >= 0`,
        );
      }
      continue;
    }
    sink.push(
      'shape',
      `args[${k}]`,
      `args[${k}] is ${describeValue(ref)}; expected a producer id or [id, outputIndex]`,
    );
  }
}

/** The producer an arg reference names, or undefined when the reference is malformed (reported by checkArgs). */
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

function checkCode(code: unknown, sink: IssueSink): void {
  if (!isRecord(code)) {
    sink.push(
      'shape',
      'code',
      `code must be { kind: 'source', source } or { kind: 'module', module, export } (got ${describeValue(code)})`,
    );
    return;
  }
  if (code.kind === 'source') {
    if (typeof code.source !== 'string') {
      sink.push('shape', 'code.source', `code.source must be a string (got ${describeValue(code.source)})`);
      return;
    }
    const checked = checkSource(code.source);
    if (!checked.ok) sink.push('code', 'code', `its code cannot travel: ${checked.reason}`);
  } else if (code.kind === 'module') {
    if (typeof code.module !== 'string' || code.module === '') {
      sink.push(
        'shape',
        'code.module',
        `code.module must be a module URL (got ${describeValue(code.module)})`,
      );
    }
    if (typeof code.export !== 'string' || code.export === '') {
      sink.push(
        'shape',
        'code.export',
        `code.export must name an export (got ${describeValue(code.export)})`,
      );
    }
  } else {
    sink.push(
      'shape',
      'code.kind',
      `code.kind must be 'source' or 'module' (got ${describeValue(code.kind)})`,
    );
  }
}

const PLATFORMS = new Set(['node', 'browser']);

function checkNode(node: unknown, sink: IssueSink): void {
  if (node === undefined || (typeof node === 'string' && node !== '')) return;
  if (!isRecord(node)) {
    sink.push('shape', 'node', `node must be a peer id or a selector object (got ${describeValue(node)})`);
    return;
  }
  if (node.peer !== undefined && typeof node.peer !== 'string') {
    sink.push('shape', 'node.peer', `node.peer must be a peer id (got ${describeValue(node.peer)})`);
  }
  if (node.platform !== undefined && !PLATFORMS.has(node.platform as string)) {
    sink.push(
      'shape',
      'node.platform',
      `node.platform must be 'node' or 'browser' (got ${describeValue(node.platform)})`,
    );
  }
  if (
    node.tags !== undefined &&
    !(Array.isArray(node.tags) && node.tags.every((t) => typeof t === 'string'))
  ) {
    sink.push(
      'shape',
      'node.tags',
      `node.tags must be an array of strings (got ${describeValue(node.tags)})`,
    );
  }
  if (node.gpu !== undefined && typeof node.gpu !== 'boolean') {
    sink.push('shape', 'node.gpu', `node.gpu must be true or false (got ${describeValue(node.gpu)})`);
  }
}

const NUMERIC_COSTS = ['cpu', 'memoryMB', 'estimateMs'] as const;
const COST_KEYS = new Set<string>([...NUMERIC_COSTS, 'gpu', 'resources']);

function checkCost(cost: unknown, sink: IssueSink): void {
  if (cost === undefined) return;
  if (!isRecord(cost)) {
    sink.push('cost', 'cost', `cost must be an object (got ${describeValue(cost)})`);
    return;
  }
  for (const key of NUMERIC_COSTS) {
    const v = cost[key];
    if (v !== undefined && !isNonNegativeFinite(v)) {
      sink.push('cost', `cost.${key}`, `cost.${key} must be a finite number >= 0 (got ${describeValue(v)})`);
    }
  }
  if (cost.gpu !== undefined && typeof cost.gpu !== 'boolean') {
    sink.push('cost', 'cost.gpu', `cost.gpu must be true or false (got ${describeValue(cost.gpu)})`);
  }
  if (cost.resources !== undefined) {
    if (!isRecord(cost.resources)) {
      sink.push(
        'cost',
        'cost.resources',
        `cost.resources must be an object of numbers (got ${describeValue(cost.resources)})`,
      );
    } else {
      for (const [name, v] of Object.entries(cost.resources)) {
        if (!isNonNegativeFinite(v)) {
          sink.push(
            'cost',
            `cost.resources.${name}`,
            `cost.resources.${name} must be a finite number >= 0 (got ${describeValue(v)})`,
          );
        }
      }
    }
  }
  for (const key of Object.keys(cost)) {
    if (!COST_KEYS.has(key)) {
      sink.push(
        'cost',
        `cost.${key}`,
        `cost.${key} is not a cost field (custom resources go in cost.resources)`,
      );
    }
  }
}

/** extraArgs must be an array with a canonical form, or the function cannot be hashed (and cached). */
function checkExtraArgs(extra: unknown, sink: IssueSink): void {
  if (extra === undefined) return;
  if (!Array.isArray(extra)) {
    sink.push('shape', 'extraArgs', `extraArgs must be an array (got ${describeValue(extra)})`);
    return;
  }
  const problem = findUnhashable(extra, 'extraArgs');
  if (problem) sink.push('shape', problem.path, `${problem.path} cannot be hashed: ${problem.problem}`);
}
