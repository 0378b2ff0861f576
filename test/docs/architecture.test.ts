/**
 * docs/architecture.md against the tree: the page is where a newcomer finds each concern's home, so it must not
 * drift from the code. Checked here, cheaply (file reads only):
 * - every folder of peer-runtime/src has a row in the folder table and in the import-rules table;
 * - every file or folder the page names exists (paths are written from the repository root or from
 *   peer-runtime/src, as the page says);
 * - every import between folders of peer-runtime/src is one the import-rules table allows;
 * - the other pages of docs/ name no source file that does not exist (a folder renamed, a file moved).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const src = join(root, 'peer-runtime', 'src');
const docsDir = join(root, 'docs');
const page = readFileSync(join(docsDir, 'architecture.md'), 'utf8');

const srcFolders = readdirSync(src, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
/** Top-level folders of the repository (packages, test, bench, docs, scripts, ...). */
const repoFolders = new Set(
  readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith('.') && d.name !== 'node_modules')
    .map((d) => d.name),
);
/** The entry points may import anything: they are the package's surface, not a floor. */
const ENTRY_POINTS = new Set(['index.ts', 'local.ts']);

/** The rows of the markdown table whose header row matches `header`, as arrays of cells. */
function tableRows(text: string, header: RegExp): string[][] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.startsWith('|') && header.test(l));
  if (start < 0) throw new Error(`docs/architecture.md has no table whose header matches ${header}`);
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const codeSpans = (text: string): string[] => [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);

/** Text outside fenced code blocks, and the fenced blocks themselves. */
function splitFences(text: string): { prose: string; fenced: string } {
  const prose: string[] = [];
  const fenced: string[] = [];
  let inFence = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('```')) inFence = !inFence;
    else (inFence ? fenced : prose).push(line);
  }
  return { prose: prose.join('\n'), fenced: fenced.join('\n') };
}

const PATHLIKE = /^[a-z][\w.-]*(\/[\w.-]+)*\/?$/;
const FILE_EXT = /\.(ts|tsx|mts|mjs|js|json|sh|md|py|html|css)$/;

/** Where a path named on the page lives, or why it cannot be resolved. */
function resolvePagePath(path: string): { file: string } | { error: string } {
  const first = path.split('/')[0]!;
  if (!path.includes('/')) {
    // A bare file name (beside a full path in the same sentence) must be a file of peer-runtime/src.
    return { file: join(src, path) };
  }
  if (srcFolders.includes(first)) return { file: join(src, path) };
  if (repoFolders.has(first)) return { file: join(root, path) };
  return {
    error: `'${path}': write it from the repository root or from peer-runtime/src ('${first}/' is neither)`,
  };
}

/** Every file or folder path the page names: code spans, plus paths inside its diagrams. */
function pathsOnPage(text: string): string[] {
  const { prose, fenced } = splitFences(text);
  const spans = codeSpans(prose).filter(
    (s) => PATHLIKE.test(s) && (s.endsWith('/') || FILE_EXT.test(s)) && !s.startsWith('@'),
  );
  // Diagrams name files in plain text (`engine/run-local.ts` beside a step); JSON there names ./src/... paths,
  // which are relative to a package and left out.
  const inDiagrams = [...fenced.matchAll(/(?<![\w./-])([a-z][\w-]*\/[\w./-]*\.ts)\b/g)].map((m) => m[1]!);
  return [...new Set([...spans, ...inDiagrams])];
}

describe('docs/architecture.md', () => {
  const folderRows = tableRows(page, /\|\s*folder\s*\|\s*its one job\s*\|/);
  const ruleRows = tableRows(page, /\|\s*folder\s*\|\s*may import\s*\|/);
  const rowName = (cells: string[]): string => cells[0]!.replace(/`/g, '');

  test('has one row per folder of peer-runtime/src in the folder table and in the import rules', () => {
    const described = folderRows.map(rowName);
    const ruled = ruleRows.map(rowName);
    for (const folder of srcFolders) {
      expect(described, `folder table: no row for peer-runtime/src/${folder}/`).toContain(`${folder}/`);
      expect(ruled, `import rules: no row for peer-runtime/src/${folder}/`).toContain(`${folder}/`);
    }
    for (const name of [...described, ...ruled]) {
      expect(
        srcFolders,
        `the page has a row for '${name}', which is no folder of peer-runtime/src`,
      ).toContain(name.replace(/\/$/, ''));
    }
  });

  test('names only files and folders that exist', () => {
    const paths = pathsOnPage(page);
    // The page names well over a hundred paths; a parser that found none would make this test empty.
    expect(paths.length).toBeGreaterThan(100);
    const missing: string[] = [];
    for (const path of paths) {
      const where = resolvePagePath(path);
      if ('error' in where) missing.push(where.error);
      else if (!existsSync(where.file)) missing.push(`'${path}' (looked for ${relative(root, where.file)})`);
      else if (path.endsWith('/') && !statSync(where.file).isDirectory())
        missing.push(`'${path}' is not a folder`);
    }
    expect(missing, `docs/architecture.md names paths that do not exist`).toEqual([]);
  });

  test('allows every import between folders of peer-runtime/src that the code makes', () => {
    const allowed = new Map<string, Set<string>>();
    for (const cells of ruleRows) {
      const targets = codeSpans(cells[1] ?? '').filter(
        (s) => /^[a-z][\w-]*\/$/.test(s) || /^[\w-]+\.ts$/.test(s) || s.startsWith('#'),
      );
      allowed.set(rowName(cells), new Set(targets));
    }
    const unexpected: string[] = [];
    let imports = 0;
    for (const file of sourceFiles(src)) {
      const from = relative(src, file).split(sep);
      if (from.length === 1) continue; // ground-floor files and entry points: not a folder's imports
      const folder = `${from[0]}/`;
      const rules = allowed.get(folder) ?? new Set<string>();
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        const target = importTarget(file, specifier);
        if (target === undefined || target === folder) continue;
        imports++;
        if (!rules.has(target)) unexpected.push(`${relative(src, file)} imports ${target} ('${specifier}')`);
      }
    }
    expect(imports, 'no import between folders was found: the import parser is broken').toBeGreaterThan(50);
    expect(
      unexpected,
      'imports the import-rules table of docs/architecture.md does not allow (add the folder to the row, or move the code)',
    ).toEqual([]);
  });

  test('orders the import rules from the ground floor up, so folders cannot import each other in a circle', () => {
    const order = ruleRows.map(rowName);
    const late: string[] = [];
    order.forEach((folder, row) => {
      for (const target of codeSpans(ruleRows[row]![1] ?? '').filter((s) => /^[a-z][\w-]*\/$/.test(s))) {
        const at = order.indexOf(target);
        if (at < 0 || at >= row) late.push(`${folder} may import ${target}, which is not on a row above it`);
      }
    });
    expect(late).toEqual([]);
  });

  test('lists every workspace import of each package, subpath by subpath', () => {
    const packageRows = tableRows(page, /\|\s*package\s*\|\s*imports\s*\|/);
    const unexpected: string[] = [];
    let imports = 0;
    for (const cells of packageRows) {
      const folder = rowName(cells);
      const allowed = new Set(codeSpans(cells[1] ?? '').filter((s) => s.startsWith('@handout/')));
      const dir = join(root, folder, 'src');
      expect(existsSync(dir), `the package table names '${folder}', which has no src/ folder`).toBe(true);
      for (const file of sourceFiles(dir)) {
        for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
          if (!specifier.startsWith('@handout/')) continue;
          imports++;
          if (!allowed.has(specifier)) unexpected.push(`${relative(root, file)} imports '${specifier}'`);
        }
      }
    }
    expect(packageRows.map(rowName)).toEqual(
      expect.arrayContaining(['peer-runtime', 'signaling-server', 'sdk', 'cli', 'demo']),
    );
    expect(imports, 'no workspace import was found: the import parser is broken').toBeGreaterThan(20);
    expect(
      unexpected,
      'workspace imports the package table of docs/architecture.md does not list (add them, or import through a listed subpath)',
    ).toEqual([]);
  });

  test('the entry points are the only root files allowed to import folders', () => {
    for (const name of readdirSync(src)) {
      const file = join(src, name);
      if (!name.endsWith('.ts') || ENTRY_POINTS.has(name) || statSync(file).isDirectory()) continue;
      const folders = importsOf(readFileSync(file, 'utf8'))
        .map((s) => importTarget(file, s))
        .filter((t) => t?.endsWith('/'));
      expect(folders, `${name} is on the ground floor and must not import a folder`).toEqual([]);
    }
  });
});

describe('docs/*.md', () => {
  test('name no source file that does not exist', () => {
    const tree = sourceTree();
    const missing: string[] = [];
    for (const name of readdirSync(docsDir).filter((n) => n.endsWith('.md'))) {
      const text = splitFences(readFileSync(join(docsDir, name), 'utf8')).prose;
      for (const span of codeSpans(text)) {
        // Source files with a folder in their path; generated outputs (results, JSON) are not in the tree.
        if (!PATHLIKE.test(span) || !span.includes('/') || !/\.(ts|tsx|mts|mjs|js|sh)$/.test(span)) continue;
        const path = normalize(span).split(sep).join('/');
        const first = path.split('/')[0]!;
        const found =
          (repoFolders.has(first) && existsSync(join(root, path))) ||
          (srcFolders.includes(first) && existsSync(join(src, path))) ||
          // Relative to a package's src/ (demo.md writes `run-model/link-flows.ts`): some file ends with it.
          tree.some((f) => f.endsWith(`/${path}`));
        if (!found) missing.push(`docs/${name}: '${span}'`);
      }
    }
    expect(missing, 'docs name source files that do not exist (renamed or moved?)').toEqual([]);
  });
});

// ---- the tree and its imports ----

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Every file of the repository's own sources, as paths from the root with `/` (no dependencies, no builds). */
function sourceTree(): string[] {
  const skip = new Set(['node_modules', 'dist', 'coverage', 'test-results', '.git']);
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (skip.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(root, path).split(sep).join('/'));
    }
  };
  walk(root);
  return out;
}

/** Module specifiers of static imports and re-exports, and of `import('...')` with a literal. */
function importsOf(source: string): string[] {
  const withoutComments = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const found = [
    ...withoutComments.matchAll(/^\s*(?:import|export)\b[^;'"]*?\bfrom\s*'([^']+)'/gm),
    ...withoutComments.matchAll(/^\s*import\s*'([^']+)'/gm),
    ...withoutComments.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ];
  return found.map((m) => m[1]!);
}

/**
 * What an import of `file` reaches, in the terms of the import-rules table: `folder/` for a file of another
 * folder, `name.ts` for a ground-floor file, `#platform`; undefined for packages outside peer-runtime/src.
 */
function importTarget(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('#')) return specifier;
  if (!specifier.startsWith('.')) return undefined;
  const target = relative(src, join(dirname(file), specifier)).split(sep);
  if (target[0] === '..') return undefined;
  if (target.length === 1) return target[0]!.replace(/\.js$/, '.ts');
  return `${target[0]}/`;
}
