/**
 * How a function spec becomes a call on a worker pool: its inputs (each the producer's whole result or one of its
 * outputs) in `args` order, then its `extraArgs`; and the pool options its spec sets (timeout, estimate, heap cap).
 * The local engine and the peer agent both call functions this way; one place keeps them calling alike.
 */
import type { FunctionSpec } from '../dag/types.js';
import type { PoolTask, RunTaskOptions } from './pool.js';

/** Argument `k` of a call: the producer's whole result, or output `output` of it (negative or undefined: whole). */
export function argumentValue(result: unknown, output: number | undefined): unknown {
  return output === undefined || output < 0 ? result : (result as readonly unknown[])[output];
}

/** The pool task for `spec`, given its input values in `args` order (see {@link argumentValue}). */
export function poolTaskOf(spec: FunctionSpec, inputs: unknown[]): PoolTask {
  for (const extra of spec.extraArgs ?? []) inputs.push(extra);
  return { functionId: spec.id, code: spec.code, args: inputs, outputs: spec.outputs ?? 1 };
}

/** The run options a spec sets; absent fields stay absent (the pool's defaults apply). */
export function specRunOptions(
  spec: FunctionSpec,
): Pick<RunTaskOptions, 'timeoutMs' | 'estimateMs' | 'memoryMB'> {
  return {
    ...(spec.timeoutMs !== undefined && { timeoutMs: spec.timeoutMs }),
    ...(spec.cost?.estimateMs !== undefined && { estimateMs: spec.cost.estimateMs }),
    ...(spec.cost?.memoryMB !== undefined && { memoryMB: spec.cost.memoryMB }),
  };
}
