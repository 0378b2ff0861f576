import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { handout, tempDir } from './cli-process.js';

/** A temp dir with these files, removed when the test finishes. */
function dir(files: Record<string, string>): string {
  const t = tempDir(files);
  onTestFinished(t.cleanup);
  return t.dir;
}

async function concurrency(cwd: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = await handout(['config', '--json', ...args], { cwd, env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).settings.concurrency as { value: number; source: string };
}

describe('settings precedence: flag, then environment, then config file, then default', () => {
  test('each level overrides the ones below it', async () => {
    const withFile = dir({ 'handout.config.json': JSON.stringify({ concurrency: 3 }) });
    const empty = dir({});
    expect(await concurrency(empty)).toEqual({ value: availableParallelism(), source: 'default' });
    expect(await concurrency(withFile)).toEqual({ value: 3, source: 'config' });
    expect(await concurrency(withFile, [], { HANDOUT_CONCURRENCY: '2' })).toEqual({
      value: 2,
      source: 'env',
    });
    expect(await concurrency(withFile, ['--concurrency', '5'], { HANDOUT_CONCURRENCY: '2' })).toEqual({
      value: 5,
      source: 'flag',
    });
  });

  test('handout run follows the same order (the json setting decides the output format)', async () => {
    const cwd = dir({ 'handout.config.json': JSON.stringify({ json: true, progress: 'none' }) });
    // HANDOUT_CONFIG names the file: from source, runs need the repository as cwd (see run.test.ts).
    const env = { HANDOUT_CONFIG: join(cwd, 'handout.config.json') };
    const fromFile = await handout(['run', 'examples/pipeline.json'], { env });
    expect(fromFile.code).toBe(0);
    expect(JSON.parse(fromFile.stdout).status).toBe('succeeded');
    expect(fromFile.stderr).toBe('');

    const envOff = await handout(['run', 'examples/pipeline.json'], {
      env: { ...env, HANDOUT_JSON: 'false' },
    });
    expect(envOff.code).toBe(0);
    expect(envOff.stdout).toMatch(/^succeeded: 5 functions/);
  });

  test('--config points at another file; a missing one is an error naming it', async () => {
    const cwd = dir({ 'other.json': JSON.stringify({ concurrency: 4 }) });
    expect(await concurrency(cwd, ['--config', 'other.json'])).toEqual({ value: 4, source: 'config' });
    const missing = await handout(['config', '--config', 'nope.json'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /^handout: cannot read the config file .*nope\.json \(--config\): no such file\n$/,
    );
  });

  test('a bad value in the config file exits 2 naming the file and key', async () => {
    const bad = dir({ 'handout.config.json': JSON.stringify({ concurrency: 0 }) });
    const r = await handout(['config'], { cwd: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/handout\.config\.json: key "concurrency" must be a positive integer, got 0\n$/);
  });

  test('a bad environment value exits 2 naming the variable', async () => {
    const r = await handout(['config'], { cwd: dir({}), env: { HANDOUT_CONCURRENCY: 'many' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'handout: environment variable HANDOUT_CONCURRENCY must be a positive integer, got "many"\n',
    );
  });
});
