import { readFileSync } from 'node:fs';
import type { Run } from '@handout/peer-runtime';
import fc from 'fast-check';
import { describe, expect, onTestFinished, test } from 'vitest';
import { parseCommandArgs } from '../src/args.js';
import { resolveSettings } from '../src/config.js';
import { CLI_DOCS_PATH, formattedCliDocs, renderCliDocs } from '../src/docs.js';
import { jsonErrorOffset } from '../src/json-text.js';
import { toJsonValue } from '../src/json-value.js';
import { attachProgress, renderBar } from '../src/progress.js';
import { SETTING_NAMES, SETTINGS } from '../src/settings.js';
import { tempDir } from './cli-process.js';

describe('docs/cli.md', () => {
  test('is the rendering of the settings and command tables (regenerate with docs.ts --write)', () => {
    expect(readFileSync(CLI_DOCS_PATH, 'utf8')).toBe(formattedCliDocs());
  });

  test('documents every flag, environment variable and config key', () => {
    const docs = renderCliDocs();
    for (const name of SETTING_NAMES) {
      const d = SETTINGS[name];
      expect(docs).toContain(d.flag);
      expect(docs).toContain(d.env);
      expect(docs).toContain(`\`${d.configKey}\``);
    }
  });
});

describe('argument parsing', () => {
  test('accepts --flag value, --flag=value and bare booleans', () => {
    const a = parseCommandArgs('run', ['f.json', '--concurrency', '3', '--json', '--progress=none']);
    expect(a.positionals).toEqual(['f.json']);
    expect(Object.fromEntries(a.flags)).toEqual({ concurrency: '3', json: 'true', progress: 'none' });
  });

  test('a value flag with no value is named', () => {
    expect(() => parseCommandArgs('run', ['f.json', '--concurrency'])).toThrow(
      '--concurrency needs a value (handout run --concurrency <value>)',
    );
  });

  test('an unknown flag is named, with the flag it was probably meant to be', () => {
    expect(() => parseCommandArgs('run', ['--concurency', '2'])).toThrow(
      "unknown flag --concurency for 'handout run' (did you mean --concurrency? see handout run --help)",
    );
    expect(() => parseCommandArgs('run', ['--frobnicate'])).toThrow(
      "unknown flag --frobnicate for 'handout run' (see handout run --help)",
    );
  });

  test('--concurrency accepts only positive integers', () => {
    for (const bad of ['abc', '1.5', '-1', '0', '']) {
      expect(() =>
        resolveSettings(parseCommandArgs('run', ['--concurrency', bad]), { cwd: '/nonexistent', env: {} }),
      ).toThrow(`--concurrency must be a positive integer, got "${bad}"`);
    }
  });

  test('a higher level wins without the lower one being parsed, and unknown config keys are named', () => {
    const bad = tempDir({ 'handout.config.json': JSON.stringify({ concurrency: 0 }) });
    onTestFinished(bad.cleanup);
    const r = resolveSettings(parseCommandArgs('run', ['--concurrency', '1']), { cwd: bad.dir, env: {} });
    expect(r.values.concurrency).toBe(1);

    const typo = tempDir({ 'handout.config.json': JSON.stringify({ concurency: 2 }) });
    onTestFinished(typo.cleanup);
    expect(() => resolveSettings(parseCommandArgs('run', []), { cwd: typo.dir, env: {} })).toThrow(
      /handout\.config\.json: unknown key "concurency"; did you mean "concurrency"\? \(known: concurrency, /,
    );
    const broken = tempDir({ 'handout.config.json': '{ "json": tru }' });
    onTestFinished(broken.cleanup);
    expect(() => resolveSettings(parseCommandArgs('run', []), { cwd: broken.dir, env: {} })).toThrow(
      /handout\.config\.json:1:14: invalid JSON: unexpected " "/,
    );
  });

  test('settings resolve from the given environment when no flag is set', () => {
    const r = resolveSettings(parseCommandArgs('run', []), {
      cwd: '/nonexistent',
      env: { HANDOUT_SCALE: '0.5' },
    });
    expect(r.values.scale).toBe(0.5);
    expect(r.sources.scale).toBe('env');
    expect(r.sources.concurrency).toBe('default');
  });
});

describe('JSON error positions', () => {
  test('agree with the position V8 reports whenever it reports one', () => {
    const alphabet = fc.constantFrom(...'{}[],:" \n0123456789-.eEtrufalsn\\ab'.split(''));
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 24 }).map((cs) => cs.join('')),
        (text) => {
          let position: number | undefined;
          try {
            JSON.parse(text);
            return;
          } catch (error) {
            const m = /at position (\d+)/.exec((error as Error).message);
            if (m) position = Number(m[1]);
          }
          if (position !== undefined) expect(jsonErrorOffset(text)).toBe(position);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('JSON conversion of results', () => {
  test('converts values JSON cannot hold as documented', () => {
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    const shared = { x: 1 };
    expect(
      toJsonValue({
        big: 2n ** 70n,
        f32: new Float32Array([0.5]),
        i64: new BigInt64Array([-1n]),
        buf: new Uint8Array([7, 8]).buffer,
        objMap: new Map([[new Date(0), 'epoch']]),
        when: new Date(0),
        nan: Number.NaN,
        err: new TypeError('bad'),
        cyclic,
        twice: [shared, shared],
      }),
    ).toEqual({
      big: '1180591620717411303424',
      f32: [0.5],
      i64: ['-1'],
      buf: [7, 8],
      objMap: [['1970-01-01T00:00:00.000Z', 'epoch']],
      when: '1970-01-01T00:00:00.000Z',
      nan: null,
      err: { name: 'TypeError', message: 'bad' },
      cyclic: { name: 'loop', self: '[Circular]' },
      twice: [{ x: 1 }, { x: 1 }],
    });
  });
});

describe('progress bar', () => {
  test('shows done/total and the counts of each state', () => {
    const bar = renderBar({ succeeded: 3, failed: 1, skipped: 0 }, 2, 8, 1500, 100);
    expect(bar).toMatch(/^\[#+-+\] 4\/8 {2}✓ 3 {2}✗ 1 {2}running 2 {2}1\.50 s$/);
  });

  test('a run that moved to another coordinator prints one line saying so, in lines and bar mode', () => {
    type Change = { from: string; to: string; reason: string; gapMs: number };
    let emit: ((e: Change) => void) | undefined;
    const run = {
      on: (event: string, listener: (e: Change) => void) => {
        if (event === 'run:coordinator-changed') emit = listener;
        return () => {};
      },
    } as unknown as Run;
    for (const mode of ['lines', 'bar'] as const) {
      const out: string[] = [];
      const reporter = attachProgress(run, mode, { write: (t: string) => out.push(t), columns: 100 }, 10);
      emit!({ from: 'co-a', to: 'co-b', reason: 'left the mesh', gapMs: 1310 });
      reporter.stop();
      const lines = out
        .join('')
        .split(/\r|\n/)
        .filter((l) => l.includes('coordinator'));
      expect(lines.map((l) => l.replaceAll('\u001b[2K', ''))).toEqual([
        "coordinator 'co-a' lost (left the mesh); the run moved to 'co-b' after 1.31 s without one",
      ]);
    }
  });
});
