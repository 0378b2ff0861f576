/**
 * Recognises a DAG file by its content (and its name's extension, when there is one) and parses it with the
 * matching reader: Handout JSON (`{ "format": "handout-dag", ... }`), WfCommons WfFormat JSON (recognised by
 * `schemaVersion`, `workflow.specification` or `workflow.tasks`) or STG text (the `.stg` extension, or a first
 * meaningful line that is a lone task count). One recognition for every entry point: the CLI (`handout run`,
 * `handout validate`) and the dashboard's upload. Browser-safe: no Node imports.
 */
import { type DagJSON, HandoutError } from '@handout/peer-runtime/dag';
import { Dag } from '../builder.js';
import { parseStg, type StgOptions } from './stg.js';
import { parseWfFormat, type WfFormatOptions } from './wfformat.js';

export type DagTextFormat = 'handout-json' | 'wfformat' | 'stg';

/** What `detectDagFormat` found: STG text, or JSON (already parsed) of one of the two JSON formats. */
export type DetectedDagText =
  | { readonly format: 'stg' }
  | { readonly format: 'handout-json' | 'wfformat'; readonly json: unknown };

export interface DetectDagFormatOptions {
  /** The file's name or path; its extension decides first (`.stg` is STG, `.json` is JSON). Default: none. */
  readonly name?: string;
  /** Parses JSON text; a caller passes its own to get error messages naming the file. Default: `JSON.parse`. */
  readonly parseJson?: (text: string) => unknown;
}

export interface ParseDagTextOptions {
  /** The file's name, for recognition (see DetectDagFormatOptions.name) and error messages. Default: none. */
  readonly name?: string;
  /** Options for STG text (e.g. `scaleMs`). Default: the importer's. */
  readonly stg?: StgOptions;
  /** Options for WfFormat JSON (e.g. `scale`). Default: the importer's. */
  readonly wfformat?: WfFormatOptions;
}

/** The text is none of the DAG formats; `file` is the name given, if any. */
export class UnknownDagFormatError extends HandoutError {
  override name = 'UnknownDagFormatError';
  constructor(readonly file: string | undefined) {
    super(`${file ?? 'the text'}: not a DAG file (Handout JSON, WfFormat JSON or STG text)`);
  }
}

/**
 * Which DAG format `text` is in, or undefined when it is none of them. JSON is parsed on the way (WfFormat is told
 * from Handout JSON by its fields), so a syntax error in a `.json` file or in text starting with `{` or `[` is
 * thrown by `parseJson`.
 */
export function detectDagFormat(
  text: string,
  options: DetectDagFormatOptions = {},
): DetectedDagText | undefined {
  const ext = extensionOf(options.name);
  if (ext === '.stg' || (ext !== '.json' && looksLikeStg(text))) return { format: 'stg' };
  const trimmed = text.trimStart();
  if (ext !== '.json' && !trimmed.startsWith('{') && !trimmed.startsWith('[')) return undefined;
  const json = (options.parseJson ?? JSON.parse)(text);
  return { format: isWfFormat(json) ? 'wfformat' : 'handout-json', json };
}

/**
 * Parses a DAG file's text, whatever its format, into a validated `Dag`. Throws UnknownDagFormatError when the text
 * is none of the formats, a SyntaxError for broken JSON, and the importers' and `Dag.fromJSON`'s typed errors
 * (naming the task, field or line at fault) otherwise.
 */
export function parseDagText(
  text: string,
  options: ParseDagTextOptions = {},
): { format: DagTextFormat; dag: Dag } {
  const detected = detectDagFormat(text, options.name === undefined ? {} : { name: options.name });
  if (detected === undefined) throw new UnknownDagFormatError(options.name);
  if (detected.format === 'stg') return { format: 'stg', dag: parseStg(text, options.stg) };
  if (detected.format === 'wfformat') {
    return { format: 'wfformat', dag: parseWfFormat(detected.json, options.wfformat) };
  }
  return { format: 'handout-json', dag: Dag.fromJSON(detected.json as DagJSON) };
}

/** The lower-case extension of a file name (`.json`), or '' when there is none. Works on paths of either OS. */
function extensionOf(name: string | undefined): string {
  if (name === undefined) return '';
  const base = name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);
  const dot = base.lastIndexOf('.');
  return dot <= 0 ? '' : base.slice(dot).toLowerCase();
}

/** STG's first meaningful line is the task count: a lone integer. */
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
