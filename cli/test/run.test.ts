import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { fixtures, handout, tempDir } from './cli-process.js';

/** A temp dir with these files, removed when the test finishes. */
function dir(files: Record<string, string>): string {
  const t = tempDir(files);
  onTestFinished(t.cleanup);
  return t.dir;
}

// DAG files that run are written to a temp dir but run with the repository as cwd: from source, the worker pool's
// tsx bootstrap resolves 'tsx' from the cwd (peer-runtime/src/worker/pool.node.ts).
const RECORD_KEYS = ['attempts', 'endedAt', 'error', 'id', 'peer', 'startedAt', 'status', 'verification'];

describe('handout run', () => {
  test('run --json on the bundled example prints exactly status, results and function records', async () => {
    const r = await handout(['run', 'examples/hello.dag.mjs', '--json']);
    expect(r.stderr).not.toContain('handout:');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(Object.keys(out).sort()).toEqual(['functions', 'results', 'status']);
    expect(out.status).toBe('succeeded');
    expect(out.results['top-words']).toEqual([
      ['the', 7],
      ['fox', 4],
      ['dog', 3],
      ['a', 2],
      ['and', 2],
    ]);
    // The Monte Carlo generator is seeded, so the estimate is exact and repeatable.
    expect(out.results.pi).toBe(3.142636);
    expect(out.results.split).toHaveLength(3);
    expect(out.functions.map((f: { id: string }) => f.id).sort()).toEqual(
      [
        'count-0',
        'count-1',
        'count-2',
        'pi',
        'pi-0',
        'pi-1',
        'pi-2',
        'pi-3',
        'split',
        'text',
        'top-words',
      ].sort(),
    );
    for (const f of out.functions) {
      expect(Object.keys(f).sort()).toEqual(RECORD_KEYS);
      expect(f).toMatchObject({ status: 'succeeded', attempts: 1, error: null, verification: null });
      expect(f.peer).toMatch(/^local:/);
      expect(f.endedAt).toBeGreaterThanOrEqual(f.startedAt);
    }
  });

  test('run without --json prints a summary with the final results and one progress line per function', async () => {
    const r = await handout(['run', 'examples/pipeline.json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^succeeded: 5 functions — 5 succeeded, 0 failed, 0 skipped — in /);
    expect(r.stdout).toContain("report = { label: '1..10', evens: 30, oddSquares: 165, total: 195 }");
    // Only final functions are listed in the human summary.
    expect(r.stdout).not.toContain('sum-evens =');
    // stderr is not a terminal here: plain lines, one per finished function.
    expect(r.stderr.match(/^succeeded /gm)).toHaveLength(5);
  });

  test('an STG file runs as synthetic work, one function per task', async () => {
    const r = await handout(['run', join(fixtures, 'sample00.stg'), '--json', '--scale', '1']);
    expect(r.stderr).not.toContain('handout:');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('succeeded');
    // 8 real tasks plus the dummy entry and exit nodes.
    expect(out.functions).toHaveLength(10);
    expect(out.functions.every((f: { status: string }) => f.status === 'succeeded')).toBe(true);
  });

  test('a WfFormat file runs as synthetic work, one function per task', async () => {
    const r = await handout([
      'run',
      join(fixtures, 'helloworld-chain-5-chameleon.json'),
      '--json',
      '--scale',
      '0.0001',
    ]);
    expect(r.stderr).not.toContain('handout:');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.status).toBe('succeeded');
    expect(out.functions).toHaveLength(5);
  });

  test('--data-scale makes each WfFormat task return that fraction of its recorded output bytes', async () => {
    const file = join(fixtures, 'helloworld-chain-5-chameleon.json');
    const scaled = await handout(['run', file, '--json', '--scale', '0', '--data-scale', '0.00001']);
    expect(scaled.stderr).not.toContain('handout:');
    expect(scaled.code).toBe(0);
    const last = JSON.parse(scaled.stdout).results.cpuhog_chain_00000005;
    // The trace records a 16,666,667-byte output file for every task of this chain.
    expect(last.task).toBe('cpuhog_chain_00000005');
    expect(last.data).toHaveLength(Math.round(16_666_667 * 0.00001));

    const plain = await handout(['run', file, '--json', '--scale', '0']);
    expect(JSON.parse(plain.stdout).results.cpuhog_chain_00000005.data).toBeUndefined();

    const bad = await handout(['run', file, '--data-scale', '-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--data-scale');
  });

  test('a function that throws exits 1 naming it, its error and its attempts; its dependents are skipped', async () => {
    const cwd = dir({
      'boom.dag.mjs': `export default [
        { id: 'a', code: () => 1 },
        { id: 'boom', args: ['a'], retries: 1, code: () => { throw new Error('kaboom'); } },
        { id: 'after', args: ['boom'], code: (x) => x },
      ];`,
    });
    const human = await handout(['run', join(cwd, 'boom.dag.mjs')]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain("handout: function 'boom' failed after 2 attempts: kaboom");
    expect(human.stdout).toMatch(/^failed: 3 functions — 1 succeeded, 1 failed, 1 skipped/);

    const json = await handout(['run', join(cwd, 'boom.dag.mjs'), '--json']);
    expect(json.code).toBe(1);
    const out = JSON.parse(json.stdout);
    expect(out.status).toBe('failed');
    expect(out.results).toEqual({ a: 1 });
    const byId = Object.fromEntries(out.functions.map((f: { id: string }) => [f.id, f]));
    expect(byId.boom).toMatchObject({ status: 'failed', attempts: 2, error: 'kaboom' });
    expect(byId.after).toMatchObject({ status: 'skipped', error: "skipped because its input 'boom' failed" });
  });

  test('results that JSON cannot hold are converted: bigint, typed arrays, Map, Set, undefined', async () => {
    const cwd = dir({
      'values.dag.mjs': `export default [
        { id: 'v', code: () => ({ big: 12345678901234567890n, bytes: new Uint8Array([1, 2, 3]),
          map: new Map([['k', 1]]), set: new Set([1, 2]), nothing: undefined }) },
      ];`,
    });
    const r = await handout(['run', join(cwd, 'values.dag.mjs'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).results.v).toEqual({
      big: '12345678901234567890',
      bytes: [1, 2, 3],
      map: { k: 1 },
      set: [1, 2],
      nothing: null,
    });
  });

  test('Ctrl-C cancels the run and exits 130 once the run reports cancelled', async () => {
    const cwd = dir({
      'slow.dag.mjs': `export default [
        { id: 'spin', code: () => { const end = Date.now() + 60_000; while (Date.now() < end) {} return 1; } },
        { id: 'after', args: ['spin'], code: (x) => x },
      ];`,
    });
    let sent = false;
    const r = await handout(['run', join(cwd, 'slow.dag.mjs'), '--progress', 'bar'], {
      onSpawn(child, out) {
        // The bar shows "running 1" once the function has started: the run is live and SIGINT is handled.
        const poll = setInterval(() => {
          if (!sent && /running 1/.test(out.stderr())) {
            sent = true;
            clearInterval(poll);
            child.kill('SIGINT');
          }
        }, 50);
        child.on('close', () => clearInterval(poll));
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain('cancelling the run');
    expect(r.stdout).toMatch(/^cancelled: /);
  });
});

describe('handout run rejects bad input with exit 2 and one line naming the culprit', () => {
  test('a missing file is named', async () => {
    const r = await handout(['run', 'no-such-dag.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('handout: cannot read no-such-dag.json: no such file\n');
  });

  test('unparsable JSON is named with its line and column', async () => {
    const cwd = dir({ 'bad.json': '{\n  "format": "handout-dag",\n  oops\n}' });
    const r = await handout(['run', 'bad.json'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^handout: .*bad\.json:3:3: invalid JSON/);
  });

  test('a cycle is named with its path', async () => {
    const cwd = dir({
      'cycle.dag.mjs': `export default [
        { id: 'a', args: ['c'], code: (x) => x },
        { id: 'b', args: ['a'], code: (x) => x },
        { id: 'c', args: ['b'], code: (x) => x },
      ];`,
    });
    const r = await handout(['run', 'cycle.dag.mjs'], { cwd });
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/cycle\.dag\.mjs.*cycle.*[abc] → [abc] → [abc] → [abc]/);
  });

  test('a function that captures an outer variable is named with the variable', async () => {
    const cwd = dir({
      'capture.dag.mjs': `const factor = 3;
        export default [
          { id: 'ok', code: () => 1 },
          { id: 'triple', args: ['ok'], code: (x) => x * factor },
        ];`,
    });
    const r = await handout(['run', 'capture.dag.mjs'], { cwd });
    expect(r.code).toBe(2);
    const reason = r.stderr.split('\n')[0];
    expect(reason).toContain('capture.dag.mjs');
    expect(reason).toContain('triple');
    expect(reason).toContain('factor');
  });

  test('a bad --concurrency is named', async () => {
    // Other bad values ('abc', '1.5', '-1') are covered in-process by units.test.ts.
    const r = await handout(['run', 'examples/pipeline.json', '--concurrency', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('handout: --concurrency must be a positive integer, got "0"\n');
  });

  test('an unknown command prints the usage and exits 2', async () => {
    const r = await handout(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("handout: unknown command 'frobnicate'");
    expect(r.stderr).toContain('usage: handout <command>');
  });

  test('an unknown flag is named with its command', async () => {
    const r = await handout(['run', 'examples/pipeline.json', '--frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("handout: unknown flag --frobnicate for 'handout run' (see handout run --help)\n");
  });

  test('--signal without a token is refused, naming where the signal URL came from', async () => {
    const r = await handout(['run', 'examples/pipeline.json'], {
      env: { HANDOUT_SIGNAL: 'http://127.0.0.1:1' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^handout: environment variable HANDOUT_SIGNAL needs a token too/);
  });
});
