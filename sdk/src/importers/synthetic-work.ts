/**
 * The work an imported task does: busy CPU for a given number of milliseconds, as recorded in the trace and
 * scaled by the user. Shared by the STG and WfFormat importers.
 *
 * The source is written out as text (not captured from a function) so that it is identical everywhere: the same
 * text gives the same content hash in every build, whatever a bundler or TypeScript emit would do to a function.
 * It receives the values of its inputs first and its task record last (`extraArgs: [{ task, ms, bytes? }]`), and
 * returns `{ task, ms }` — small and deterministic, so identical runs produce identical results — plus, when
 * `bytes` > 0, a zero-filled `data` payload of that size to stand for the files the task wrote.
 */
import type { Cost, FunctionSpec } from '@handout/peer-runtime/dag';

export const SYNTHETIC_WORK_SOURCE = `function syntheticWork(...args) {
  const spec = args[args.length - 1];
  const ms = spec.ms;
  // Spin on the clock, doing arithmetic so the loop is real CPU work an engine cannot skip.
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) x = (x * 31 + i) | 0;
  }
  const result = { task: spec.task, ms };
  if (spec.bytes > 0) result.data = new Uint8Array(spec.bytes);
  return result;
}`;

/** What a synthetic task is told to do; `bytes` is an optional payload size to return. */
export interface SyntheticTask {
  readonly task: string;
  readonly ms: number;
  readonly bytes?: number;
}

/** A function spec that runs {@link SYNTHETIC_WORK_SOURCE} for `task.ms` milliseconds after its inputs. */
export function syntheticFunction(task: SyntheticTask, args: readonly string[], cost: Cost): FunctionSpec {
  const record: SyntheticTask = task.bytes ? task : { task: task.task, ms: task.ms };
  return {
    id: task.task,
    args,
    code: { kind: 'source', source: SYNTHETIC_WORK_SOURCE },
    extraArgs: [record],
    cost,
  };
}

/** Milliseconds rounded to microseconds, so a scale of 0.001 does not give 16.712000000000003 in the specs. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
