import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('worker pool started from outside the repository', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('runs a DAG from source in a process whose working directory is a temp dir outside the repo', async () => {
    dir = mkdtempSync(join(tmpdir(), 'handout-outside-'));
    const runLocalUrl = new URL('../../src/engine/run-local.ts', import.meta.url).href;
    const script = join(dir, 'run.mjs');
    writeFileSync(
      script,
      `import { runLocal } from ${JSON.stringify(runLocalUrl)};
const run = runLocal([
  { id: 'a', args: [], code: { kind: 'source', source: '() => 6' } },
  { id: 'b', args: ['a'], code: { kind: 'source', source: '(x) => x * 7' } },
], { concurrency: 1 });
const summary = await run.done;
console.log(JSON.stringify({ status: summary.status, b: summary.functions[1].results, error: summary.functions.find((f) => f.error)?.error?.message }));
`,
    );
    // tsx itself is loaded by absolute URL: a bare `--import tsx` would resolve against the temp dir too.
    const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const { stdout } = await run(process.execPath, ['--conditions=source', '--import', tsxLoader, script], {
      cwd: dir,
      timeout: 60_000,
    });
    expect(JSON.parse(stdout.trim().split('\n').pop()!)).toEqual({ status: 'succeeded', b: 42 });
  });
});
