/**
 * What `handout run` prints when the run is over: the `--json` document on stdout, or a human summary.
 * Both are built from the run's records, so a local run and (later) a mesh run print the same way.
 */
import { inspect } from 'node:util';
import type { DagJSON, FunctionRecord, FunctionVerification, RunSummary } from '@handout/peer-runtime';
import { type JsonValue, toJsonValue } from './json-value.js';
import { firstLine, formatDuration } from './progress.js';

/** One entry of `functions` in the `--json` document; exactly these keys, `null` when a value is absent. */
export interface JsonFunctionRecord {
  readonly id: string;
  readonly status: FunctionRecord['status'];
  readonly attempts: number;
  readonly peer: string | null;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly error: string | null;
  /** Mesh runs with `--verify`: how its result was checked (FunctionRecord.verification). */
  readonly verification: FunctionVerification | null;
}

/** The `--json` document of `handout run`. */
export interface JsonRunOutput {
  readonly status: RunSummary['status'];
  /** Every function that succeeded, by id: its value (the array of outputs for `outputs: n`). */
  readonly results: { readonly [id: string]: JsonValue };
  readonly functions: readonly JsonFunctionRecord[];
  /**
   * Mesh runs only: for each peer that ran something, how the coordinator's link to it connected (`link`) and how
   * its links to the peers it fetched inputs from connected (`links`, by peer), as the attempts reported them:
   * `host/udp`, `prflx/udp`, `srflx/udp`, `relay/udp`, `relay/udp via tcp`, `unknown`.
   */
  readonly peers?: { readonly [peer: string]: JsonPeerLinks };
}

export interface JsonPeerLinks {
  readonly link?: string;
  readonly links: { readonly [peer: string]: string };
}

/** The links of every attempt, by peer (see `JsonRunOutput.peers`); undefined when no attempt reported one. */
export function peerLinks(summary: RunSummary): { [peer: string]: JsonPeerLinks } | undefined {
  const out: { [peer: string]: { link?: string; links: { [peer: string]: string } } } = {};
  for (const r of summary.functions) {
    for (const a of r.history) {
      if (a.link === undefined && a.fetchedFrom === undefined) continue;
      out[a.peer] ??= { links: {} };
      const p = out[a.peer]!;
      if (a.link !== undefined) p.link = a.link;
      for (const f of a.fetchedFrom ?? []) p.links[f.peer] = f.link;
    }
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function buildJsonOutput(summary: RunSummary, results: ReadonlyMap<string, unknown>): JsonRunOutput {
  const links = peerLinks(summary);
  const out: { [id: string]: JsonValue } = {};
  for (const [id, value] of results) out[id] = toJsonValue(value);
  return {
    status: summary.status,
    results: out,
    functions: summary.functions.map((r) => ({
      id: r.id,
      status: r.status,
      attempts: r.attempts,
      peer: r.peer ?? null,
      startedAt: r.startedAt ?? null,
      endedAt: r.endedAt ?? null,
      error: recordError(r),
      verification: r.verification ?? null,
    })),
    ...(links && { peers: links }),
  };
}

/** The error of a record as one string: the function's own message, or why it never ran. */
export function recordError(r: FunctionRecord): string | null {
  if (r.error !== undefined) return r.error.originalMessage;
  if (r.status === 'skipped') return `skipped because its input '${r.skippedBecause ?? '?'}' failed`;
  if (r.status === 'cancelled') return 'cancelled';
  return null;
}

/** Functions no other function depends on: the ones whose results the human summary shows. */
export function finalFunctionIds(dag: DagJSON): string[] {
  const used = new Set<string>();
  for (const f of dag.functions) for (const a of f.args ?? []) used.add(typeof a === 'string' ? a : a[0]);
  return dag.functions.map((f) => f.id).filter((id) => !used.has(id));
}

/** How many characters of a result the human summary shows. */
export const RESULT_PREVIEW_CHARS = 200;
/** At most this many final results are listed; the rest are counted. */
export const RESULT_PREVIEW_COUNT = 20;

export function formatHumanSummary(
  summary: RunSummary,
  dag: DagJSON,
  results: ReadonlyMap<string, unknown>,
): string {
  const count = (s: FunctionRecord['status']) => summary.functions.filter((r) => r.status === s).length;
  const cached = summary.functions.filter((r) => r.cached === true).length;
  const lines = [
    `${summary.status}: ${summary.functions.length} functions — ${count('succeeded')} succeeded` +
      `${cached > 0 ? ` (${cached} from cache)` : ''}, ${count('failed')} failed, ${count('skipped')} skipped` +
      `${count('cancelled') > 0 ? `, ${count('cancelled')} cancelled` : ''} — in ${formatDuration(summary.endedAt - summary.startedAt)}`,
  ];
  // Failures are not repeated here: the run command names each on stderr (describeFailure).

  const finals = finalFunctionIds(dag).filter((id) => results.has(id));
  if (finals.length > 0) {
    lines.push('results:');
    for (const id of finals.slice(0, RESULT_PREVIEW_COUNT))
      lines.push(`  ${id} = ${preview(results.get(id))}`);
    if (finals.length > RESULT_PREVIEW_COUNT) {
      lines.push(`  … and ${finals.length - RESULT_PREVIEW_COUNT} more (use --json for all results)`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A failed function: which, after how many attempts, its error, and where each attempt died. */
export function describeFailure(r: FunctionRecord): string[] {
  const head = `function '${r.id}' failed after ${r.attempts} attempt${r.attempts === 1 ? '' : 's'}: ${firstLine(recordError(r) ?? 'unknown error')}`;
  if (r.history.length <= 1) return [head];
  return [
    head,
    ...r.history.map(
      (a) => `  attempt ${a.attempt} on ${a.peer}: ${firstLine(a.error ?? 'no error recorded')}`,
    ),
  ];
}

export function preview(value: unknown): string {
  const text = inspect(value, {
    depth: 3,
    maxArrayLength: 20,
    maxStringLength: RESULT_PREVIEW_CHARS,
    breakLength: Number.POSITIVE_INFINITY,
    compact: true,
  });
  return text.length > RESULT_PREVIEW_CHARS ? `${text.slice(0, RESULT_PREVIEW_CHARS - 1)}…` : text;
}
