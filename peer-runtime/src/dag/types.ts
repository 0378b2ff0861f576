/**
 * The DAG as data: the serialisable form of the seed's `Handout.Function`.
 *
 * Everything here must survive `JSON.stringify` (code travels as source text) so that a DAG built in one
 * process can be validated, hashed and run in another: a worker thread, a Node peer or a browser tab.
 */

/** A dependency: the producer's id, or the producer's id and an output index for multi-output functions. */
export type ArgRef = string | readonly [producerId: string, outputIndex: number];

/**
 * How the code of a function travels.
 * - `source`: the text of a self-contained function expression (`(a, b) => a + b`, `function f(x) {...}`).
 *   It is compiled once per worker and called with the dependency values followed by `extraArgs`.
 * - `module`: an ES module URL and the name of the export to call (for code too big or too shared to inline).
 */
export type CodeRef =
  | { readonly kind: 'source'; readonly source: string }
  | { readonly kind: 'module'; readonly module: string; readonly export: string };

/**
 * Resource needs of one function. `cpu` is in cores (default 1), `memoryMB` in MiB (default 0 = unknown),
 * `gpu` asks for a peer with WebGPU (default false), `estimateMs` is the expected run time on a peer of speed 1
 * (schedulers use it; default unknown). Any other key is a custom numeric resource matched against the peer's
 * advertised `resources` of the same name.
 */
export interface Cost {
  readonly cpu?: number;
  readonly memoryMB?: number;
  readonly gpu?: boolean;
  readonly estimateMs?: number;
  readonly resources?: Readonly<Record<string, number>>;
}

/**
 * A pin: a peer id (`'peer-abc'`) or a capability selector. Locally a pin is ignored without error; on a mesh
 * the allocator only places the function on a peer that matches.
 */
export type NodeSelector =
  | string
  | {
      readonly peer?: string;
      readonly platform?: 'node' | 'browser';
      readonly tags?: readonly string[];
      readonly gpu?: boolean;
    };

/** One function of a DAG, in its serialisable form. */
export interface FunctionSpec {
  /** Unique in the DAG. */
  readonly id: string;
  /** Dependencies, in the order their values are passed to the code. Default []. */
  readonly args: readonly ArgRef[];
  readonly code: CodeRef;
  /** Number of results when the function returns an array of that many values to be addressed by index. Default 1 (one plain value). */
  readonly outputs?: number;
  readonly node?: NodeSelector;
  readonly cost?: Cost;
  /** Constant arguments appended after the dependency values. Must be JSON-like data (they are hashed). Default []. */
  readonly extraArgs?: readonly unknown[];
  /** Kill the attempt after this long. Default: no timeout. */
  readonly timeoutMs?: number;
  /**
   * Extra attempts after a failure (a throw, a timeout, a worker death). Default 0. A function whose worker dies
   * (out of memory, `process.exit`, a crash) gets one more attempt on top, once, as a supervisor restarts a
   * crashed child; a second death beyond `retries` fails it.
   */
  readonly retries?: number;
  /** Whether the result may be served from / stored in a cache by content hash. Default true. */
  readonly cache?: boolean;
  /**
   * Whether the same inputs always give the same result. `false` (randomness, clocks) exempts the function from
   * result verification: honest replicas would disagree, so a run with `verify` never replicates it and refuses
   * to start unless it is pinned to chosen peers (`node.peer` or `node.tags`), whose word is taken. Default true.
   */
  readonly deterministic?: boolean;
  /**
   * Result verification of this function, overriding the run's (`submit(dag, { verify })`, `--verify`): a policy
   * (`{ replicas: 3 }`: run it on three distinct peers and accept a value when a majority of their result digests
   * agree) or `false` (believe one peer's answer even in a verified run, e.g. for a cheap function whose result
   * is checked downstream). `replicas: 1` is the same as `false`. Mesh runs only; not part of the content hash
   * (it decides how a result is checked, not what it is). Default: the run's policy.
   */
  readonly verify?: VerifyOptions | false;
}

/**
 * Result verification: each function runs on `replicas` distinct peers and a value is accepted when `quorum` of
 * their result digests agree; disagreement adds replicas up to `maxReplicas`, then the function fails naming
 * every peer's digest. Peers that lose quorums are quarantined (coordinator/trust-ledger.ts). Functions marked
 * `deterministic: false` are never replicated. On a run (`SubmitOptions.verify`) or one function
 * (`FunctionSpec.verify`).
 */
export interface VerifyOptions {
  /** Distinct peers each function runs on, 1..16. 1 turns verification off. */
  readonly replicas: number;
  /** Agreeing digests needed. Default: a majority of `replicas` (2 of 2, 2 of 3). */
  readonly quorum?: number;
  /** Most answers gathered for one function before it fails unverified. Default `replicas + 2`. */
  readonly maxReplicas?: number;
  /**
   * A peer with a clean streak of `trustAfter` agreeing answers is replicated only at this rate (a spot check,
   * BOINC's adaptive replication) when a function is first placed on it; 1 = always replicate. Default 0.1.
   */
  readonly spotCheckRate?: number;
  /** Clean streak that earns spot checks instead of full replication. Default 20. */
  readonly trustAfter?: number;
}

/** The wire and file form of a DAG (`handout.json`). */
export interface DagJSON {
  readonly format: 'handout-dag';
  readonly version: 1;
  readonly functions: readonly FunctionSpec[];
}

/** Normalise an arg reference into producer id and output index (`undefined` = the whole result). */
export function parseArgRef(ref: ArgRef): { producer: string; output: number | undefined } {
  return typeof ref === 'string'
    ? { producer: ref, output: undefined }
    : { producer: ref[0], output: ref[1] };
}

/** Anything that is a DAG: its JSON, its function specs, or a built DAG (anything with `toJSON()`, like the SDK's `Dag`). */
export type DagInput = DagJSON | readonly FunctionSpec[] | { toJSON(): DagJSON };

/** The data form of any DagInput: a built DAG is asked for its JSON; JSON and spec arrays pass through. */
export function dagData(dag: DagInput): DagJSON | readonly FunctionSpec[] {
  if (Array.isArray(dag)) return dag;
  const built = dag as { toJSON?: unknown };
  return typeof built.toJSON === 'function' ? (dag as { toJSON(): DagJSON }).toJSON() : (dag as DagJSON);
}
