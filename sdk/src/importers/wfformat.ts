/**
 * Importer for WfCommons WfFormat instances (schema 1.5; https://github.com/wfcommons/wfformat), the execution
 * traces of real scientific workflows.
 *
 * Read: `workflow.specification.tasks[]` (`id`, `parents`, `children`, `inputFiles`, `outputFiles`),
 * `workflow.specification.files[]` (`id`, `sizeInBytes`) and `workflow.execution.tasks[]` (`id`,
 * `runtimeInSeconds`, `memoryInBytes`). Older instances with a flat `workflow.tasks[]` carrying `runtimeInSeconds`
 * (or `runtime`) and `parents` are read too.
 *
 * Each task becomes a function with the task's id, its parents as inputs (in the order listed, plus any task that
 * lists it as a child), and synthetic CPU work of `runtimeInSeconds * 1000 * scale` ms, also recorded as
 * `cost.estimateMs`; `memoryInBytes` becomes `cost.memoryMB`. With `dataScale` > 0 a task also returns a payload
 * of `dataScale` × the size of its output files, so results weigh what the trace's files weighed.
 */
import { HandoutError } from '@handout/peer-runtime/dag';
import { Dag } from '../builder.js';
import { roundMs, syntheticFunction } from './synthetic-work.js';

export interface WfFormatOptions {
  /** Fraction of the recorded runtime to spend as CPU work (0.001: a 16 s task runs 16 ms). Default 0.001. */
  readonly scale?: number;
  /** Fraction of each task's output file bytes to return as a payload. Default 0 (results stay tiny). */
  readonly dataScale?: number;
}

/** Bad WfFormat input; `path` locates the culprit, e.g. `workflow.execution.tasks[3].runtimeInSeconds`. */
export class WfFormatError extends HandoutError {
  override name = 'WfFormatError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`WfFormat ${path}: ${message}`);
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function stringList(v: unknown, path: string): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new WfFormatError(path, 'must be an array of task or file ids');
  }
  return v;
}

function nonNegative(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new WfFormatError(path, `must be a finite number >= 0, got ${JSON.stringify(v) ?? 'nothing'}`);
  }
  return v;
}

interface Task {
  readonly id: string;
  readonly parents: string[];
  readonly children: string[];
  readonly outputFiles: string[];
  readonly runtimeSeconds: number;
  readonly memoryBytes: number | undefined;
}

export function parseWfFormat(json: unknown, options: WfFormatOptions = {}): Dag {
  const scale = options.scale ?? 0.001;
  const dataScale = options.dataScale ?? 0;
  if (!(Number.isFinite(scale) && scale >= 0))
    throw new HandoutError(`scale must be a finite number >= 0, got ${scale}`);
  if (!(Number.isFinite(dataScale) && dataScale >= 0)) {
    throw new HandoutError(`dataScale must be a finite number >= 0, got ${dataScale}`);
  }
  let root = json;
  if (typeof json === 'string') {
    try {
      root = JSON.parse(json);
    } catch (error) {
      throw new WfFormatError('(file)', `not valid JSON: ${(error as Error).message}`);
    }
  }
  if (!isObject(root)) throw new WfFormatError('(root)', 'must be a JSON object');
  if (!isObject(root.workflow))
    throw new WfFormatError('workflow', 'missing: this is not a WfFormat instance');
  const { tasks, fileSizes } = isObject(root.workflow.specification)
    ? readSpecification(root.workflow)
    : readFlat(root.workflow);

  const byId = new Map<string, Task>();
  for (const task of tasks) {
    if (byId.has(task.id)) throw new WfFormatError(`task '${task.id}'`, 'is listed twice');
    byId.set(task.id, task);
  }
  // Parents as listed, then tasks that claim this one as a child (traces are not always symmetric).
  const inputs = new Map<string, string[]>(tasks.map((t) => [t.id, [...new Set(t.parents)]]));
  for (const task of tasks) {
    for (const parent of task.parents) {
      if (!byId.has(parent))
        throw new WfFormatError(`task '${task.id}'.parents`, `names unknown task '${parent}'`);
    }
    for (const child of task.children) {
      const list = inputs.get(child);
      if (!list) throw new WfFormatError(`task '${task.id}'.children`, `names unknown task '${child}'`);
      if (!list.includes(task.id)) list.push(task.id);
    }
  }

  const functions = tasks.map((task) => {
    const ms = roundMs(task.runtimeSeconds * 1000 * scale);
    let bytes = 0;
    if (dataScale > 0) {
      for (const file of task.outputFiles) bytes += fileSizes.get(file) ?? 0;
      bytes = Math.round(bytes * dataScale);
    }
    const cost =
      task.memoryBytes === undefined
        ? { cpu: 1, estimateMs: ms }
        : { cpu: 1, estimateMs: ms, memoryMB: Math.ceil(task.memoryBytes / 2 ** 20) };
    return syntheticFunction(
      { task: task.id, ms, ...(bytes > 0 ? { bytes } : {}) },
      inputs.get(task.id)!,
      cost,
    );
  });
  return Dag.fromFunctions(functions);
}

/** Schema 1.5: structure in `specification`, measurements in `execution`. */
function readSpecification(workflow: Json): { tasks: Task[]; fileSizes: Map<string, number> } {
  const spec = workflow.specification as Json;
  if (!Array.isArray(spec.tasks)) throw new WfFormatError('workflow.specification.tasks', 'must be an array');
  const fileSizes = new Map<string, number>();
  if (spec.files !== undefined) {
    if (!Array.isArray(spec.files))
      throw new WfFormatError('workflow.specification.files', 'must be an array');
    spec.files.forEach((file: unknown, i) => {
      const path = `workflow.specification.files[${i}]`;
      if (!isObject(file) || typeof file.id !== 'string')
        throw new WfFormatError(path, 'must have a string id');
      if (file.sizeInBytes !== undefined)
        fileSizes.set(file.id, nonNegative(file.sizeInBytes, `${path}.sizeInBytes`));
    });
  }
  const execution = workflow.execution;
  if (!isObject(execution) || !Array.isArray(execution.tasks)) {
    throw new WfFormatError(
      'workflow.execution.tasks',
      'missing: runtimes are needed to size the synthetic work',
    );
  }
  const records = new Map<string, { record: Json; path: string }>();
  execution.tasks.forEach((record: unknown, i) => {
    const path = `workflow.execution.tasks[${i}]`;
    if (!isObject(record) || typeof record.id !== 'string')
      throw new WfFormatError(path, 'must have a string id');
    records.set(record.id, { record, path });
  });
  const tasks = spec.tasks.map((raw: unknown, i): Task => {
    const path = `workflow.specification.tasks[${i}]`;
    if (!isObject(raw) || typeof raw.id !== 'string' || raw.id === '') {
      throw new WfFormatError(path, 'must be an object with a non-empty string id');
    }
    const exec = records.get(raw.id);
    if (!exec) throw new WfFormatError(`task '${raw.id}'`, 'has no record in workflow.execution.tasks');
    const memory = exec.record.memoryInBytes;
    return {
      id: raw.id,
      parents: stringList(raw.parents, `${path}.parents`),
      children: stringList(raw.children, `${path}.children`),
      outputFiles: stringList(raw.outputFiles, `${path}.outputFiles`),
      runtimeSeconds: nonNegative(exec.record.runtimeInSeconds, `${exec.path}.runtimeInSeconds`),
      memoryBytes: memory === undefined ? undefined : nonNegative(memory, `${exec.path}.memoryInBytes`),
    };
  });
  return { tasks, fileSizes };
}

/** Older instances: one `workflow.tasks[]` with structure and measurements together. */
function readFlat(workflow: Json): { tasks: Task[]; fileSizes: Map<string, number> } {
  if (!Array.isArray(workflow.tasks)) {
    throw new WfFormatError(
      'workflow',
      'has neither specification.tasks (schema 1.5) nor tasks (older schemas)',
    );
  }
  const fileSizes = new Map<string, number>();
  const tasks = workflow.tasks.map((raw: unknown, i): Task => {
    const path = `workflow.tasks[${i}]`;
    if (!isObject(raw)) throw new WfFormatError(path, 'must be an object');
    const id = typeof raw.id === 'string' && raw.id !== '' ? raw.id : raw.name;
    if (typeof id !== 'string' || id === '')
      throw new WfFormatError(path, 'must have a non-empty id or name');
    const runtime = raw.runtimeInSeconds ?? raw.runtime;
    const outputFiles: string[] = [];
    if (Array.isArray(raw.files)) {
      for (const file of raw.files as unknown[]) {
        if (!isObject(file) || file.link !== 'output') continue;
        const name = typeof file.id === 'string' ? file.id : file.name;
        const size = file.sizeInBytes ?? file.size;
        if (typeof name === 'string' && typeof size === 'number' && Number.isFinite(size) && size >= 0) {
          fileSizes.set(name, size);
          outputFiles.push(name);
        }
      }
    }
    const memory = raw.memoryInBytes;
    return {
      id,
      parents: stringList(raw.parents, `${path}.parents`),
      children: stringList(raw.children, `${path}.children`),
      outputFiles,
      runtimeSeconds: nonNegative(runtime, `${path}.runtimeInSeconds`),
      memoryBytes: typeof memory === 'number' && Number.isFinite(memory) && memory >= 0 ? memory : undefined,
    };
  });
  return { tasks, fileSizes };
}
