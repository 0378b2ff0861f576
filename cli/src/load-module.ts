/**
 * Imports a DAG module for load-dag.ts, and says where a module that does not parse is wrong.
 *
 * - TypeScript (`.ts`, `.mts`, `.cts`) goes through tsx's `tsImport`, which compiles it with esbuild on the way in
 *   and registers nothing globally. So the built CLI runs `.ts` DAG files with plain node, not only under
 *   `pnpm handout` (which already runs under tsx). tsx is loaded only for such a file.
 * - A syntax error has no position in what node gives back: for an ES module its stack names node's internals
 *   only. So on a SyntaxError the file is parsed again with acorn, whose error carries the line and column;
 *   esbuild's errors (TypeScript) carry them in their message (`file:3:7: ERROR: ...`).
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';

const TYPESCRIPT = new Set(['.ts', '.mts', '.cts']);

/** Where in a source file a syntax error is: 1-based line and column, as editors count them. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

export async function importDagModule(path: string): Promise<{ default?: unknown }> {
  const url = pathToFileURL(path).href;
  if (!TYPESCRIPT.has(extname(path).toLowerCase())) return (await import(url)) as { default?: unknown };
  const { tsImport } = await import('tsx/esm/api');
  return unwrapCommonJs((await tsImport(url, import.meta.url)) as { default?: unknown });
}

/**
 * A `.ts` file outside a `"type": "module"` package is compiled as CommonJS, so its `export default x` arrives as
 * `{ default: { __esModule: true, default: x } }`: hand back `{ default: x }`, as for an ES module.
 */
function unwrapCommonJs(ns: { default?: unknown }): { default?: unknown } {
  const inner = ns.default as { __esModule?: unknown; default?: unknown } | null | undefined;
  return inner !== null && typeof inner === 'object' && inner.__esModule === true
    ? { default: inner.default }
    : ns;
}

/**
 * `SyntaxError: <reason> (line L, column C)` when `error` is a syntax error in the file at `path` itself;
 * undefined otherwise (another error, or a syntax error in a module the file imports, which node does not name).
 */
export async function describeSyntaxError(error: unknown, path: string): Promise<string | undefined> {
  if (!(error instanceof Error)) return undefined;
  // esbuild (tsx): "Transform failed with 1 error:\n/abs/file.ts:3:7: ERROR: Expected ..." (0-based column).
  const esbuild = error.message.match(/^(.*):(\d+):(\d+): ERROR: (.*)$/m);
  if (esbuild && esbuild[1] === path) return located(esbuild[4]!, Number(esbuild[2]), Number(esbuild[3]) + 1);
  if (error.name !== 'SyntaxError') return undefined;
  const at = await acornPosition(path);
  return at && located(error.message, at.line, at.column);
}

function located(reason: string, line: number, column: number): string {
  return `SyntaxError: ${reason} (line ${line}, column ${column})`;
}

/** Parses the file with acorn: the position of the first syntax error, or undefined when acorn accepts it. */
async function acornPosition(path: string): Promise<SourcePosition | undefined> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    // The file was readable a moment ago (node compiled it); if it is gone now there is no position to give.
    return undefined;
  }
  const { parse } = await import('acorn');
  const ext = extname(path).toLowerCase();
  // A `.js` file may be either kind depending on the nearest package.json: try a module first, then a script.
  const kinds: Array<'module' | 'script'> =
    ext === '.cjs' ? ['script'] : ext === '.mjs' ? ['module'] : ['module', 'script'];
  let first: SourcePosition | undefined;
  for (const sourceType of kinds) {
    try {
      parse(text, {
        ecmaVersion: 'latest',
        sourceType,
        allowHashBang: true,
        allowReturnOutsideFunction: sourceType === 'script',
      });
      // acorn accepts it as this kind: the error is not in this file (or acorn and V8 disagree).
      return undefined;
    } catch (parseError) {
      const loc = (parseError as { loc?: { line: number; column: number } }).loc;
      // acorn counts columns from 0.
      if (loc !== undefined) first ??= { line: loc.line, column: loc.column + 1 };
    }
  }
  return first;
}
