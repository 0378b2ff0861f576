/**
 * Reads a DAG file of any kind the CLI supports and returns it as Handout JSON:
 * - an ES module (`.js`, `.mjs`, `.cjs`, `.ts`, `.mts`, `.cts`) whose default export is a `Dag`, a builder, Handout
 *   JSON, or a plain array of function specs whose `code` may be a real JS function (so a DAG file needs no imports:
 *   the specs go through the builder, which turns functions into source and checks that they can travel).
 *   `.ts` files load through tsx (load-module.ts), in the workspace and in the built CLI alike.
 * - Handout JSON: `{ "format": "handout-dag", "version": 1, "functions": [...] }`;
 * - WfCommons WfFormat JSON, recognised by `workflow.specification` or `schemaVersion`;
 * - STG (Standard Task Graph) text, recognised by the `.stg` extension or by content (first line a task count).
 * Every failure is a CliInputError whose one line names the file and, when known, the function, field or line;
 * an invalid DAG is an InvalidDagFileError carrying every problem.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { type DagJSON, DagValidationError } from '@handout/peer-runtime/dag';
import {
  Dag,
  type DagBuilder,
  dag,
  detectDagFormat,
  type FnOptions,
  parseStg,
  parseWfFormat,
} from '@handout/sdk/dag';
import { describeFsError } from './config.js';
import { CliInputError } from './errors.js';
import { InvalidDagFileError } from './issues.js';
import { parseJsonText } from './json-text.js';
import { describeSyntaxError, importDagModule } from './load-module.js';

export type DagFileKind = 'module' | 'handout-json' | 'wfformat' | 'stg';

export interface LoadedDag {
  /** Always valid: every path goes through `Dag` (the builder, `Dag.fromJSON` or an importer), which validates. */
  readonly dag: DagJSON;
  readonly kind: DagFileKind;
  /** The path as the user gave it, for messages. */
  readonly file: string;
}

export interface LoadDagOptions {
  readonly cwd: string;
  /** Scale of imported synthetic work (`--scale`); undefined = the importer's default. */
  readonly scale?: number;
  /** Fraction of each WfFormat task's output bytes its result carries (`--data-scale`); undefined = none. */
  readonly dataScale?: number;
}

const MODULE_EXTENSIONS = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']);

export async function loadDagFile(file: string, options: LoadDagOptions): Promise<LoadedDag> {
  const path = resolve(options.cwd, file);
  try {
    if (statSync(path).isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
  } catch (error) {
    throw new CliInputError(`cannot read ${file}: ${describeFsError(error)}`);
  }
  const ext = extname(path).toLowerCase();
  if (MODULE_EXTENSIONS.has(ext)) return { dag: await loadModule(path, file), kind: 'module', file };

  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliInputError(`cannot read ${file}: ${describeFsError(error)}`);
  }
  // The same recognition as the SDK's parseDagText (and so the dashboard's upload); JSON errors name the file.
  const detected = detectDagFormat(text, { name: path, parseJson: (json) => parseJsonText(json, file) });
  if (detected === undefined) {
    throw new CliInputError(
      `${file}: not a DAG file this CLI knows (a module, Handout JSON, WfFormat JSON or STG text)`,
    );
  }
  if (detected.format === 'stg') {
    return {
      dag: convert(file, () => parseStg(text, withScale('scaleMs', options.scale))),
      kind: 'stg',
      file,
    };
  }
  if (detected.format === 'wfformat') {
    const { json } = detected;
    return {
      dag: convert(file, () =>
        parseWfFormat(json, {
          ...withScale('scale', options.scale),
          ...withScale('dataScale', options.dataScale),
        }),
      ),
      kind: 'wfformat',
      file,
    };
  }
  // Not through parseDagText's Dag.fromJSON: a JSON file may also hold a plain array of specs (fromHandoutValue).
  return { dag: fromHandoutValue(detected.json, file), kind: 'handout-json', file };
}

/** Importer options from the CLI's settings: a setting left unset keeps the importer's own default. */
export function importOptions(values: {
  readonly scale?: number | undefined;
  readonly dataScale?: number | undefined;
}): Pick<LoadDagOptions, 'scale' | 'dataScale'> {
  return {
    ...(values.scale === undefined ? {} : { scale: values.scale }),
    ...(values.dataScale === undefined ? {} : { dataScale: values.dataScale }),
  };
}

function withScale<K extends string>(key: K, scale: number | undefined): { [P in K]?: number } {
  return (scale === undefined ? {} : { [key]: scale }) as { [P in K]?: number };
}

async function loadModule(path: string, file: string): Promise<DagJSON> {
  let mod: { default?: unknown };
  try {
    mod = await importDagModule(path);
  } catch (error) {
    const syntax = await describeSyntaxError(error, path);
    throw new CliInputError(`${file}: cannot load the module: ${syntax ?? describeLoadError(error, path)}`, {
      cause: error,
    });
  }
  if (mod.default === undefined) {
    throw new CliInputError(
      `${file}: no default export (export default a DAG, a dag() builder, or an array of function specs)`,
    );
  }
  return fromHandoutValue(mod.default, file);
}

/** A module's default export or a parsed JSON file: a Dag, a builder, Handout JSON, or an array of specs. */
function fromHandoutValue(value: unknown, file: string): DagJSON {
  if (value instanceof Dag) return value.toJSON();
  if (Array.isArray(value)) {
    // Through the builder: functions become source, and every problem of every spec is reported at once.
    return convert(file, () => {
      // Ids are only known at run time, so the builder's compile-time id checking is widened to any string.
      const builder = dag() as unknown as DagBuilder<string>;
      for (const spec of value) builder.fn(spec as FnOptions<string>);
      return builder.build();
    });
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (typeof o.build === 'function' && typeof o.fn === 'function') {
      return convert(file, () => (o as unknown as DagBuilder<string>).build());
    }
    if ('format' in o || 'functions' in o) {
      // Format, version and every function are checked by the one DAG validation (each problem a DagIssue).
      return convert(file, () => Dag.fromJSON(o as unknown as DagJSON));
    }
  }
  throw new CliInputError(
    `${file}: not a DAG: expected a Dag, a dag() builder, an array of function specs, Handout JSON ` +
      '({ "format": "handout-dag", "version": 1, "functions": [...] }) or WfFormat JSON',
  );
}

/** Runs a conversion step, turning the builder's and importers' typed errors into one-line CLI errors. */
function convert(file: string, step: () => Dag): DagJSON {
  try {
    return step().toJSON();
  } catch (error) {
    if (error instanceof CliInputError) throw error;
    if (error instanceof DagValidationError)
      throw new InvalidDagFileError(file, error.issues, { cause: error });
    throw new CliInputError(`${file}: ${describeBuildError(error)}`, { cause: error });
  }
}

function describeBuildError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Node's module errors: keep the message, and the line of the user's file when the stack has it. */
function describeLoadError(error: unknown, path: string): string {
  if (!(error instanceof Error)) return String(error);
  const line = error.stack
    ?.split('\n')
    .find((l) => l.includes(path))
    ?.match(/:(\d+)(?::\d+)?\)?\s*$/);
  return `${error.name}: ${error.message}${line ? ` (line ${line[1]})` : ''}`;
}
