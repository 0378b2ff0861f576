/**
 * An uploaded DAG file → Handout JSON, by content: Handout JSON (`"format": "handout-dag"`), WfCommons WfFormat
 * JSON (`workflow.specification` or `schemaVersion`), or STG text (first meaningful line a task count). The same
 * recognition as the CLI's `handout run <file>`, with the SDK's importers; imported tasks run synthetic CPU work
 * proportional to their recorded runtimes. `scale` multiplies each importer's default (STG: 1 ms per time unit;
 * WfFormat: 0.001 of the recorded seconds), so 1 means "the importer's default" for both formats.
 */
import type { DagJSON } from '@handout/peer-runtime';
import { Dag, parseStg, parseWfFormat } from '@handout/sdk';

export type UploadKind = 'handout-json' | 'wfformat' | 'stg';

/** STG's default: 1 ms of CPU work per STG time unit. */
const STG_MS_PER_UNIT = 1;
/** WfFormat's default: a recorded 16 s task runs 16 ms. */
const WF_FRACTION = 0.001;

/** Throws an Error whose message says what is wrong with the file (the importers name the task at fault). */
export function parseDagFile(name: string, text: string, scale: number): DagJSON {
  return toJSON(parseDagText(name, text, scale).dag);
}

export function detectKind(name: string, text: string): UploadKind {
  const lower = name.toLowerCase();
  if (lower.endsWith('.stg') || (!lower.endsWith('.json') && looksLikeStg(text))) return 'stg';
  const trimmed = text.trimStart();
  if (!trimmed.startsWith('{') && !trimmed.startsWith('[')) {
    throw new Error('not a DAG file the dashboard knows (Handout JSON, WfFormat JSON or STG text)');
  }
  return isWfFormat(JSON.parse(text)) ? 'wfformat' : 'handout-json';
}

function parseDagText(name: string, text: string, scale: number): { kind: UploadKind; dag: unknown } {
  const kind = detectKind(name, text);
  if (kind === 'stg') return { kind, dag: parseStg(text, { scaleMs: STG_MS_PER_UNIT * scale }) };
  const json: unknown = JSON.parse(text);
  if (kind === 'wfformat') return { kind, dag: parseWfFormat(json, { scale: WF_FRACTION * scale }) };
  // Through the builder, so a malformed file fails here with the function it concerns.
  return { kind, dag: Dag.fromJSON(json as DagJSON) };
}

function toJSON(dag: unknown): DagJSON {
  if (dag instanceof Dag) return dag.toJSON();
  return dag as DagJSON;
}

function looksLikeStg(text: string): boolean {
  const first = text.split('\n').find((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  return first !== undefined && /^\s*\d+\s*$/.test(first);
}

function isWfFormat(json: unknown): boolean {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return false;
  const o = json as Record<string, unknown>;
  const wf = o.workflow as Record<string, unknown> | undefined;
  return (
    'schemaVersion' in o ||
    (wf !== null && typeof wf === 'object' && ('specification' in wf || 'tasks' in wf))
  );
}
