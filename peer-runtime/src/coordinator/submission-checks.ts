/**
 * Checks on a submitted DAG beyond its validation (dag/validate.ts) that depend on the coordinator: whether a
 * resubmission is the running run's own, and whether a verified run's nondeterministic functions are pinned.
 */
import { hashFunctionsByPosition } from '../dag/hash.js';
import type { FunctionSpec } from '../dag/types.js';
import type { RunState } from './run-state.js';
import { type VerifyPolicy, VerifyPolicyError } from './verify-quorum.js';

/** Whether a resubmitted DAG is the run's own (same ids in the same order, same hashes). */
export function sameFunctions(state: RunState, functions: readonly FunctionSpec[]): boolean {
  if (functions.length !== state.n) return false;
  const hashes = hashFunctionsByPosition(functions);
  return functions.every((f, i) => f.id === state.id(i) && hashes[i] === state.hashes[i]);
}

/**
 * Verification cannot check a `deterministic: false` function (honest replicas disagree), so under a policy (its
 * own or the run's: `policies`, functionPolicies) it runs once, and only where the submitter chose to trust the
 * answer: pinned to a peer or to tagged peers. Anything else is refused before the run starts, naming the
 * function; `verify: false` on the function says its answer is to be believed wherever it runs.
 */
export function refuseUnpinnedNondeterministic(
  functions: readonly FunctionSpec[],
  policies: readonly (VerifyPolicy | undefined)[],
): void {
  for (const [i, f] of functions.entries()) {
    if (f.deterministic !== false || policies[i] === undefined) continue;
    const node = f.node;
    const pinned =
      typeof node === 'string' ||
      (node !== undefined && (node.peer !== undefined || (node.tags?.length ?? 0) > 0));
    if (!pinned)
      throw new VerifyPolicyError(
        `function '${f.id}' is deterministic: false, so verification cannot check it: pin it to peers you trust (node.peer or node.tags) or give it verify: false`,
      );
  }
}
