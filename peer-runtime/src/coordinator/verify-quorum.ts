/**
 * The quorum rule of result verification, pure and synchronous: the answers (value digests) peers gave for one
 * function, and what they mean under a policy — accepted (a digest reached the quorum: its peers agree, every
 * other answer lost), pending (so many more answers could still reach it), or failed (no digest can reach the
 * quorum within the replica limit). Coordinator wiring is in verify.ts; the per-peer record in trust-ledger.ts.
 *
 * Why digests and not values: the coordinator never decodes results. A deterministic function's code, run on
 * the same inputs, builds the same value (keys in the same order) and protocol/value-codec.ts encodes it to the
 * same bytes, so honest answers have equal digests and a forged value a different one. Functions whose answers
 * may differ honestly say `deterministic: false` and are never replicated (verify.ts).
 */
import type { FunctionSpec, VerifyOptions } from '../dag/types.js';
import { HandoutError } from '../errors.js';

export type { VerifyOptions } from '../dag/types.js';

/** A run's verification policy with its defaults filled in (see VerifyOptions for each field's meaning). */
export interface VerifyPolicy {
  readonly replicas: number;
  readonly quorum: number;
  readonly maxReplicas: number;
  readonly spotCheckRate: number;
  readonly trustAfter: number;
}

export class VerifyPolicyError extends HandoutError {
  override name = 'VerifyPolicyError';
}

/** Most replicas any policy may ask for: beyond this a run is a denial of service on the mesh, not a check. */
export const MAX_REPLICAS = 16;

/**
 * The policy of `options`, or undefined when verification is off (no options, or `replicas: 1` without spot
 * checks: a single answer has nothing to agree with). Throws VerifyPolicyError naming the field at fault.
 */
export function verifyPolicy(options: VerifyOptions | undefined): VerifyPolicy | undefined {
  if (options === undefined) return undefined;
  const { replicas } = options;
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > MAX_REPLICAS)
    throw new VerifyPolicyError(
      `verify.replicas must be a whole number from 1 to ${MAX_REPLICAS}, got ${replicas}`,
    );
  if (replicas === 1) return undefined;
  // A majority by default: with 2 replicas both must agree, with 3 two of them.
  const quorum = options.quorum ?? Math.floor(replicas / 2) + 1;
  if (!Number.isInteger(quorum) || quorum < 2 || quorum > replicas)
    throw new VerifyPolicyError(
      `verify.quorum must be a whole number from 2 to replicas (${replicas}), got ${quorum}`,
    );
  // Room for two tie-breakers by default: one liar against one honest peer needs a third answer.
  const maxReplicas = options.maxReplicas ?? Math.min(MAX_REPLICAS, replicas + 2);
  if (!Number.isInteger(maxReplicas) || maxReplicas < replicas || maxReplicas > MAX_REPLICAS)
    throw new VerifyPolicyError(
      `verify.maxReplicas must be a whole number from replicas (${replicas}) to ${MAX_REPLICAS}, got ${maxReplicas}`,
    );
  const spotCheckRate = options.spotCheckRate ?? 0.1;
  if (!(spotCheckRate >= 0 && spotCheckRate <= 1))
    throw new VerifyPolicyError(`verify.spotCheckRate must be from 0 to 1, got ${spotCheckRate}`);
  const trustAfter = options.trustAfter ?? 20;
  if (!(Number.isInteger(trustAfter) && trustAfter >= 1))
    throw new VerifyPolicyError(`verify.trustAfter must be a whole number >= 1, got ${trustAfter}`);
  return { replicas, quorum, maxReplicas, spotCheckRate, trustAfter };
}

/**
 * Each function's policy: its spec's `verify` (`false`, or `replicas: 1`, turns it off), else the run's
 * (`run`). Undefined when no function is verified. Throws VerifyPolicyError naming the function at fault.
 */
export function functionPolicies(
  functions: readonly FunctionSpec[],
  run: VerifyPolicy | undefined,
): (VerifyPolicy | undefined)[] | undefined {
  let any = run !== undefined;
  const policies = functions.map((f) => {
    if (f.verify === undefined) return run;
    if (f.verify === false) return undefined;
    try {
      const policy = verifyPolicy(f.verify);
      if (policy) any = true;
      return policy;
    } catch (error) {
      if (error instanceof VerifyPolicyError)
        throw new VerifyPolicyError(`function '${f.id}': ${error.message}`, { cause: error });
      throw error;
    }
  });
  return any ? policies : undefined;
}

export type QuorumDecision =
  | {
      readonly kind: 'accepted';
      readonly digest: string;
      /** Peers whose answer is the accepted digest, in answer order. */
      readonly agreeing: readonly string[];
      /** Peers whose answer differs, with what they answered. */
      readonly losers: readonly { readonly peer: string; readonly digest: string }[];
    }
  | {
      readonly kind: 'pending';
      /** Further answers needed at the least (if they all agree with the leading digest). */
      readonly more: number;
    }
  | {
      readonly kind: 'failed';
      /** Every answer, for the error. */
      readonly answers: readonly { readonly peer: string; readonly digest: string }[];
    };

/** The answers for one function. A peer answers once: a second answer from it is ignored (it cannot outvote). */
export class Tally {
  private readonly answers = new Map<string, string>();

  /** Records `peer`'s answer; false when it had answered already. */
  add(peer: string, digest: string): boolean {
    if (this.answers.has(peer)) return false;
    this.answers.set(peer, digest);
    return true;
  }

  has(peer: string): boolean {
    return this.answers.has(peer);
  }

  get size(): number {
    return this.answers.size;
  }

  peers(): string[] {
    return [...this.answers.keys()];
  }

  /** What the answers so far mean under `quorum` answers agreeing, with at most `maxReplicas` answers in all. */
  decide(quorum: number, maxReplicas: number): QuorumDecision {
    const counts = new Map<string, number>();
    let best: string | undefined;
    let bestCount = 0;
    for (const digest of this.answers.values()) {
      const c = (counts.get(digest) ?? 0) + 1;
      counts.set(digest, c);
      // Ties keep the digest that got there first: the order answers came in decides nothing else.
      if (c > bestCount) {
        best = digest;
        bestCount = c;
      }
    }
    if (best !== undefined && bestCount >= quorum) {
      const agreeing: string[] = [];
      const losers: { peer: string; digest: string }[] = [];
      for (const [peer, digest] of this.answers) {
        if (digest === best) agreeing.push(peer);
        else losers.push({ peer, digest });
      }
      return { kind: 'accepted', digest: best, agreeing, losers };
    }
    const more = quorum - bestCount;
    if (this.answers.size + more > maxReplicas) {
      return {
        kind: 'failed',
        answers: [...this.answers].map(([peer, digest]) => ({ peer, digest })),
      };
    }
    return { kind: 'pending', more };
  }
}
