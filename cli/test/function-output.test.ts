import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { handout, tempDir } from './cli-process.js';

function dir(files: Record<string, string>): string {
  const t = tempDir(files);
  onTestFinished(t.cleanup);
  return t.dir;
}

// A DAG whose functions print things that would break a JSON document on stdout: braces, quotes, many lines.
const NOISY = `export default [
  { id: 'noisy', code: () => {
      console.log('} not json {');
      console.info('line one\\nline two');
      console.warn('careful: %d left', 3);
      console.error({ oops: true });
      return 1;
    } },
  { id: 'flood', code: () => { for (let i = 0; i < 20000; i++) console.log('x'.repeat(20)); return 2; } },
  { id: 'flaky', retries: 1, code: () => {
      console.log('attempt starts');
      throw new Error('first try fails');
    } },
  { id: 'quiet', code: () => 3 },
];`;

describe('handout run shows what functions print', () => {
  test('--json stays one valid JSON document on stdout while functions print; their lines go to stderr prefixed by function id', async () => {
    const cwd = dir({ 'noisy.dag.mjs': NOISY });
    const r = await handout(['run', join(cwd, 'noisy.dag.mjs'), '--json', '--progress', 'none']);
    expect(r.code).toBe(1); // flaky fails for good after its retry
    const out = JSON.parse(r.stdout);
    expect(out.results).toMatchObject({ noisy: 1, flood: 2, quiet: 3 });
    expect(r.stdout).not.toContain('not json');
    const lines = r.stderr.split('\n');
    expect(lines).toContain('[noisy] } not json {');
    expect(lines).toContain('[noisy] line one');
    expect(lines).toContain('[noisy] line two');
    expect(lines).toContain('[noisy] warn: careful: 3 left');
    expect(lines).toContain('[noisy] error: {"oops":true}');
    // Both attempts of the retried function, the second marked with its attempt number.
    expect(lines).toContain('[flaky] attempt starts');
    expect(lines).toContain('[flaky #2] attempt starts');
    // The flood is cut at the per-attempt budget and says how much was not kept.
    const flood = lines.filter((l) => l.startsWith('[flood] '));
    expect(flood.length).toBeGreaterThan(1000);
    expect(flood.length).toBeLessThan(20000);
    expect(flood.at(-1)).toMatch(/^\[flood\] … \d+ more line\(s\) not kept/);
    expect(lines.some((l) => l.startsWith('[quiet]'))).toBe(false);
  });

  test('--quiet hides what functions print, and the human summary on stdout has none of it', async () => {
    const cwd = dir({ 'noisy.dag.mjs': NOISY });
    const r = await handout(['run', join(cwd, 'noisy.dag.mjs'), '--quiet', '--progress', 'none']);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/^\[(noisy|flood|flaky)/m);
    expect(r.stdout).not.toContain('not json');
    expect(r.stdout).toMatch(/^failed: 4 functions — 3 succeeded, 1 failed/);
  });
});
