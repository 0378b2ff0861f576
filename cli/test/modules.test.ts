/** DAG modules: TypeScript files load through tsx, and a syntax error is reported with its line and column. */
import { describe, expect, onTestFinished, test } from 'vitest';
import { handout, tempDir } from './cli-process.js';

function dir(files: Record<string, string>): string {
  const t = tempDir(files);
  onTestFinished(t.cleanup);
  return t.dir;
}

describe('DAG modules', () => {
  test('a syntax error in an ES module names the file, line and column', async () => {
    const cwd = dir({
      'bad.mjs': 'export default [\n  { id: "a", code: () => 1 },\n  { id: "b" code: () => 2 },\n];\n',
    });
    const r = await handout(['validate', 'bad.mjs'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "handout: bad.mjs: cannot load the module: SyntaxError: Unexpected identifier 'code' (line 3, column 13)\n",
    );
  });

  test('a syntax error in a CommonJS module names the line and column', async () => {
    const cwd = dir({ 'bad.cjs': 'module.exports = [\n\n  { id: "a", code: () => { return 1 ) },\n];\n' });
    const r = await handout(['run', 'bad.cjs'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^handout: bad\.cjs: cannot load the module: SyntaxError: .* \(line 3, column 37\)\n$/,
    );
  });

  test('a syntax error in a TypeScript module names the line and column', async () => {
    const cwd = dir({ 'bad.ts': 'const n: number = 1;\nexport default [{ id: "a", code: () => n + }];\n' });
    const r = await handout(['validate', 'bad.ts'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^handout: bad\.ts: cannot load the module: SyntaxError: .* \(line 2, column 44\)\n$/,
    );
  });

  test("an error in a module the DAG file imports keeps node's message, without a position it cannot know", async () => {
    const cwd = dir({
      'dag.mjs':
        "import { n } from './helper.mjs';\nexport default [{ id: 'a', code: () => 1, extraArgs: [n] }];\n",
      'helper.mjs': 'export const n = ;\n',
    });
    const r = await handout(['validate', 'dag.mjs'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('handout: dag.mjs: cannot load the module: SyntaxError: ');
    expect(r.stderr).not.toContain('column');
  });

  test('a TypeScript DAG file runs, typed parameters and all, outside any package', async () => {
    const cwd = dir({
      'typed.dag.ts': [
        'interface Point { x: number; y: number }',
        'const specs = [',
        '  { id: "p", code: (): Point => ({ x: 3, y: 4 }) },',
        '  { id: "len", args: ["p"], code: (p: Point): number => Math.hypot(p.x, p.y) },',
        '];',
        'export default specs;',
      ].join('\n'),
    });
    const r = await handout(['run', 'typed.dag.ts', '--json'], { cwd });
    expect(r.stderr).not.toContain('handout:');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results).toEqual({ p: { x: 3, y: 4 }, len: 5 });
  });
});
