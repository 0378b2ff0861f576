/**
 * What the detail panel says about one function, gathered from the run model (attempts with their errors and
 * stacks, from the run's events), the run's records (history, cache hit, extras) and its results (sizes). No
 * DOM here: detail-panel.ts draws it.
 */
import {
  encodeValue,
  type FunctionRecord,
  type FunctionSpec,
  type FunctionStatus,
  type FunctionVerification,
  parseArgRef,
} from '@handout/peer-runtime';
import type { RunModel, TaskBar } from '../run-model/run-model.js';
import {
  attemptFetches,
  attemptLink,
  type CapturedLine,
  capturedOutput,
  type FetchedFrom,
  type LinkType,
  verificationOf,
} from '../run-model/runtime-extras.js';

export interface AttemptFacts {
  readonly attempt: number;
  readonly lane: string;
  readonly start: number | undefined;
  readonly end: number | undefined;
  readonly outcome: TaskBar['outcome'] | 'unknown';
  /** On a mesh: how the coordinator's link to the peer connected, and the holders its inputs came from. */
  readonly link: LinkType | undefined;
  readonly fetchedFrom: readonly FetchedFrom[];
  readonly error?: { readonly message: string; readonly reason?: string; readonly stack?: string };
}

export interface FunctionFacts {
  readonly spec: FunctionSpec;
  readonly status: FunctionStatus;
  readonly group: string;
  readonly layer: number;
  readonly attempts: readonly AttemptFacts[];
  readonly cached: boolean;
  readonly skippedBecause: string | undefined;
  /** Captured console output; undefined when the runtime did not record any (it does not yet). */
  readonly output: readonly CapturedLine[] | undefined;
  /** How result verification checked it; undefined when nothing did (an unverified run, `verify: false`). */
  readonly verification: FunctionVerification | undefined;
  /** Producer ids of the inputs, in args order. */
  readonly inputs: readonly string[];
}

/** A mesh run knows result sizes without the bytes (MeshRun.location); a local run has the values. */
interface WithLocations {
  location?(id: string): { size: number } | undefined;
}

export function functionFacts(model: RunModel, id: string): FunctionFacts | undefined {
  const spec = model.specs.get(id);
  if (!spec) return undefined;
  const record = recordOf(model, id);
  const seen = model.attemptsOf(id);
  const attempts: AttemptFacts[] = seen.map((bar) => {
    const history = record?.history.find((a) => a.attempt === bar.attempt && a.peer === bar.lane);
    return {
      attempt: bar.attempt,
      lane: bar.lane,
      start: bar.inferred ? undefined : bar.start,
      end: bar.end,
      outcome: bar.outcome,
      link: history ? attemptLink(history) : undefined,
      fetchedFrom: history ? attemptFetches(history) : [],
      ...(bar.error && { error: bar.error }),
    };
  });
  // Attempts only the record knows (on a mesh: copies and recomputations are announced as history entries).
  for (const a of record?.history ?? []) {
    if (seen.some((b) => b.attempt === a.attempt && b.lane === a.peer)) continue;
    attempts.push({
      attempt: a.attempt,
      lane: a.peer,
      start: a.startedAt,
      end: a.endedAt,
      outcome: a.endedAt === undefined ? 'running' : a.error ? 'failed' : 'unknown',
      link: attemptLink(a),
      fetchedFrom: attemptFetches(a),
      ...(a.error !== undefined && { error: { message: a.error } }),
    });
  }
  attempts.sort((a, b) => (a.start ?? a.end ?? 0) - (b.start ?? b.end ?? 0) || a.attempt - b.attempt);
  const group = model.shape.groupOf.get(id);
  return {
    spec,
    status: model.status.get(id) ?? 'pending',
    group: group?.key ?? '',
    layer: model.shape.layerOf.get(id) ?? 0,
    attempts,
    cached: model.isCached(id) || record?.cached === true,
    skippedBecause: model.skippedBecause.get(id) ?? record?.skippedBecause,
    output: record ? capturedOutput(record) : undefined,
    verification: record ? verificationOf(record) : undefined,
    inputs: spec.args.map((a) => parseArgRef(a).producer),
  };
}

/**
 * The encoded size of a function's result (the bytes that travel between peers and sit in caches), when it is
 * known: from the mesh's result directory, or by encoding the value a local run holds. Undefined otherwise.
 */
export function resultSize(model: RunModel, id: string): number | undefined {
  const located = (model.run as WithLocations).location?.(id);
  if (located) return located.size;
  const record = recordOf(model, id);
  if (record?.status !== 'succeeded' || record.results === undefined) return undefined;
  try {
    return encodeValue(record.results).byteLength;
  } catch {
    // A value the codec cannot encode never travelled either: there is no size to show.
    return undefined;
  }
}

function recordOf(model: RunModel, id: string): FunctionRecord | undefined {
  return model.run.records().find((r) => r.id === id);
}
