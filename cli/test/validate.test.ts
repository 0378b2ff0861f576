import { describe, expect, onTestFinished, test } from 'vitest';
import { handout, tempDir } from './cli-process.js';

/** A temp dir with these files, removed when the test finishes. */
function dir(files: Record<string, string>): string {
  const t = tempDir(files);
  onTestFinished(t.cleanup);
  return t.dir;
}

const BROKEN = JSON.stringify({
  format: 'handout-dag',
  version: 1,
  functions: [
    { id: 'a', args: [], code: { kind: 'source', source: '() => 1' } },
    { id: 'a', args: [], code: { kind: 'source', source: '() => 2' } },
    { id: 'b', args: ['ghost'], code: { kind: 'source', source: '(x) => x' } },
  ],
});

describe('handout validate', () => {
  test('a valid DAG prints "ok" and exits 0', async () => {
    for (const file of ['examples/hello.dag.mjs', 'examples/pipeline.json']) {
      const r = await handout(['validate', file]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe('ok\n');
    }
  });

  test('an invalid DAG prints every problem with its function and exits 2', async () => {
    const cwd = dir({ 'broken.json': BROKEN });
    const r = await handout(['validate', 'broken.json'], { cwd });
    expect(r.code).toBe(2);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.some((l) => l.includes("'a'") && /more than once|times|duplicate/i.test(l))).toBe(true);
    expect(lines.some((l) => l.includes("'b'") && l.includes('ghost'))).toBe(true);
    expect(r.stderr).toBe('handout: broken.json: 2 problems\n');
  });

  test('--json reports the problems as data', async () => {
    const cwd = dir({ 'broken.json': BROKEN });
    const r = await handout(['validate', 'broken.json', '--json'], { cwd });
    expect(r.code).toBe(2);
    const out = JSON.parse(r.stdout);
    expect(out.ok).toBe(false);
    expect(out.issues.map((i: { functionId: string }) => i.functionId).sort()).toEqual(['a', 'b']);
    expect(Object.keys(out.issues[0]).sort()).toEqual(['code', 'field', 'functionId', 'message', 'path']);
  });

  test('run refuses the same DAG with exit 2, the first problem as the reason', async () => {
    const cwd = dir({ 'broken.json': BROKEN });
    const r = await handout(['run', 'broken.json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(
      /^handout: invalid DAG in broken\.json: .*\(and 1 more problem\)$/,
    );
  });

  test('a misspelt field is a problem naming the function, the key and what it was meant to be', async () => {
    const typo = JSON.stringify({
      format: 'handout-dag',
      version: 1,
      functions: [{ id: 'slow', args: [], code: { kind: 'source', source: '() => 1' }, timeout: 500 }],
    });
    const module = 'export default [{ id: "a", code: () => 1, extraargs: [2] }];\n';
    const cwd = dir({ 'typo.json': typo, 'typo.dag.mjs': module });
    const json = await handout(['validate', 'typo.json'], { cwd });
    expect(json.code).toBe(2);
    expect(json.stdout).toBe(
      "function 'slow': timeout is not a function spec field (did you mean 'timeoutMs'?)\n",
    );
    expect(json.stderr).toBe('handout: typo.json: 1 problem\n');
    const mod = await handout(['validate', 'typo.dag.mjs'], { cwd });
    expect(mod.code).toBe(2);
    expect(mod.stdout).toContain(
      "function 'a': extraargs is not a function spec field (did you mean 'extraArgs'?)",
    );
  });

  test("a wrong format or version is reported with the DAG's other problems", async () => {
    const cwd = dir({
      'old.json': JSON.stringify({ format: 'handout-dag', version: 2, functions: [{ id: 'a', code: 5 }] }),
    });
    const r = await handout(['validate', 'old.json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stdout.trim().split('\n')).toEqual([
      "the DAG's version must be 1, got 2",
      "function 'a': code must be { kind: 'source', source } or { kind: 'module', module, export }, got 5",
    ]);
  });
});
