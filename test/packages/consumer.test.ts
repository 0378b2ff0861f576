/**
 * The packages as a user gets them: builds every package, packs each with `pnpm pack` (which turns `workspace:*`
 * into versions, as `pnpm publish` does), installs the tarballs with plain `npm` into fresh projects in the
 * system's temp directory (outside this workspace, so nothing resolves from its node_modules), and there:
 * - runs a DAG through `import` and through `require` (Node >= 20.19 loads ES modules from `require()`);
 * - typechecks a TypeScript consumer with `skipLibCheck: false` in a project that has no `@types/node`;
 * - runs `npx handout` on a `.mjs` and a `.ts` DAG file, and reports a syntax error with line and column;
 * - starts `npx handout signal --demo`, fetches the contribute page and one of its scripts over HTTP, joins
 *   `handout peer` to it, and runs a DAG on that mesh: WebRTC between the installed packages, so that part
 *   (mesh-check.mjs) runs inside a private network namespace of its own (test/netns/run.sh).
 * One build, one pack, two installs. npm reaches the registry for the packages' own dependencies, so this file
 * runs in the host network (its own vitest config), not inside the namespace with the rest of the suite.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const PACKAGES = ['peer-runtime', 'sdk', 'signaling-server', 'cli'] as const;
const tsc = join(repo, 'node_modules/typescript/bin/tsc');

let work: string;
let tarballs: Map<string, string>;
/** A project with every package installed. */
let app: string;
/** A project with only the SDK (and so peer-runtime): no @types/node arrives through socket.io there. */
let typesOnly: string;

/** Runs a command to completion; throws with its output when it fails. */
function sh(command: string, args: readonly string[], cwd: string, timeoutMs = 240_000): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: cleanEnv() });
  if (r.status !== 0)
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The test runner's environment without the workspace's hints (pnpm's and vitest's), as a user's shell has. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('npm_') || k.startsWith('PNPM_') || k.startsWith('VITEST') || k.startsWith('HANDOUT_'))
      continue;
    if (k === 'NODE_OPTIONS' || k === 'NODE_PATH') continue;
    env[k] = v;
  }
  return env;
}

function project(name: string, files: Record<string, string>, install: readonly string[]): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, private: true }, null, 2)}\n`);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  sh('npm', ['install', '--no-audit', '--no-fund', ...install.map((p) => tarballs.get(p)!)], dir);
  return dir;
}

const IMPORT_DAG = `import { dag, runLocal } from '@handout/sdk';
const d = dag()
  .fn({ id: 'a', code: () => 20 })
  .fn({ id: 'b', args: ['a'], code: (a, n) => a + n, extraArgs: [22] })
  .build();
console.log(JSON.stringify({ b: await runLocal(d).result('b') }));
`;

const REQUIRE_DAG = `const { dag, runLocal, DagValidationError } = require('@handout/sdk');
const d = dag().fn({ id: 'x', code: () => 6 }).fn({ id: 'y', args: ['x'], code: (x) => x * 7 }).build();
let invalid = false;
try { dag().fn({ id: 'z', args: ['missing'], code: (m) => m }).build(); } catch (e) { invalid = e instanceof DagValidationError; }
runLocal(d).result('y').then((y) => console.log(JSON.stringify({ y, invalid })));
`;

const CONSUMER_TS = `import { connect, dag, DagValidationError, type Run, runLocal } from '@handout/sdk';
import { validateDag } from '@handout/sdk/dag';
const d = dag().fn({ id: 'a', code: () => 20 }).fn({ id: 'b', args: ['a'], code: (a: number) => a + 1 }).build();
const run: Run = runLocal(d);
export const checks = [run.done, validateDag(d.toJSON()).length, typeof connect, DagValidationError.name];
`;

// DAG files for npx handout: plain specs (no imports), in JS and in TypeScript.
const DAG_MJS = `export default [
  { id: 'numbers', code: () => [1, 2, 3, 4] },
  { id: 'square', args: ['numbers'], code: (xs) => xs.map((x) => x * x) },
  { id: 'sum', args: ['square'], code: (xs) => xs.reduce((a, b) => a + b, 0) },
];
`;
const DAG_TS = `interface Point { x: number; y: number }
const specs = [
  { id: 'p', code: (): Point => ({ x: 3, y: 4 }) },
  { id: 'len', args: ['p'], code: (p: Point): number => Math.hypot(p.x, p.y) },
];
export default specs;
`;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'handout-consumer-'));
  // Build once (the demo's pages too: the CLI package ships them), then pack once.
  sh('pnpm', ['-r', 'build'], repo, 400_000);
  const packs = join(work, 'packs');
  tarballs = new Map();
  for (const pkg of PACKAGES) {
    // pnpm pack prints the tarball's path last.
    const printed = sh('pnpm', ['pack', '--pack-destination', packs], join(repo, pkg)).trim().split('\n');
    tarballs.set(pkg, resolve(join(repo, pkg), printed[printed.length - 1]!));
  }
  app = project(
    'app',
    { 'import.mjs': IMPORT_DAG, 'require.cjs': REQUIRE_DAG, 'sum.dag.mjs': DAG_MJS, 'len.dag.ts': DAG_TS },
    PACKAGES,
  );
  typesOnly = project(
    'types-only',
    {
      'check.ts': CONSUMER_TS,
      // TypeScript's defaults (so the DOM lib), strict, and the shipped .d.ts checked too.
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        include: ['check.ts'],
      }),
    },
    ['peer-runtime', 'sdk'],
  );
}, 900_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the published packages, installed with npm outside the workspace', () => {
  test('every tarball holds a README, the LICENSE and its dist, and no sources or tests', () => {
    for (const [pkg, tarball] of tarballs) {
      const files = sh('tar', ['tzf', tarball], work).split('\n').filter(Boolean);
      expect(files, pkg).toContain('package/README.md');
      expect(files, pkg).toContain('package/LICENSE');
      expect(
        files.some((f) => f.startsWith('package/dist/') && f.endsWith('.d.ts')),
        pkg,
      ).toBe(true);
      expect(
        files.filter((f) => f.startsWith('package/src/') || f.includes('/test/')),
        pkg,
      ).toEqual([]);
    }
    const cli = sh('tar', ['tzf', tarballs.get('cli')!], work);
    expect(cli).toContain('package/demo/contribute.html');
    expect(cli).toContain('package/docs/cli.md');
  });

  test('a program imports the SDK and runs a DAG', () => {
    expect(JSON.parse(sh('node', ['import.mjs'], app))).toEqual({ b: 42 });
  });

  test('a CommonJS program requires the SDK (require of an ES module) and runs a DAG', () => {
    expect(JSON.parse(sh('node', ['require.cjs'], app))).toEqual({ y: 42, invalid: true });
  });

  test('the shipped types check under strict TypeScript with no @types/node installed', () => {
    expect(readdirSync(join(typesOnly, 'node_modules')).includes('@types')).toBe(false);
    sh('node', [tsc, '-p', '.'], typesOnly);
  });

  test('npx handout runs a JavaScript and a TypeScript DAG file', () => {
    const { version } = JSON.parse(readFileSync(join(repo, 'cli/package.json'), 'utf8')) as {
      version: string;
    };
    expect(sh('npx', ['handout', '--version'], app).trim()).toBe(version);
    const js = JSON.parse(sh('npx', ['handout', 'run', 'sum.dag.mjs', '--json', '--progress', 'none'], app));
    expect(js.status).toBe('succeeded');
    expect(js.results.sum).toBe(30);
    const ts = JSON.parse(sh('npx', ['handout', 'run', 'len.dag.ts', '--json', '--progress', 'none'], app));
    expect(ts.results).toEqual({ p: { x: 3, y: 4 }, len: 5 });
  });

  test('npx handout validate names the line and column of a syntax error', () => {
    writeFileSync(join(app, 'bad.mjs'), 'export default [\n  { id: "a" code: () => 1 },\n];\n');
    const r = spawnSync('npx', ['handout', 'validate', 'bad.mjs'], {
      cwd: app,
      encoding: 'utf8',
      env: cleanEnv(),
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('bad.mjs: cannot load the module: SyntaxError: ');
    expect(r.stderr).toContain('(line 2, column 13)');
  });

  test('npx handout signal --demo serves the contribute page, and handout peer joins it and runs a DAG', () => {
    const seen = JSON.parse(
      sh(
        'bash',
        [
          join(repo, 'test/netns/run.sh'),
          'node',
          join(repo, 'test/packages/mesh-check.mjs'),
          app,
          'sum.dag.mjs',
        ],
        app,
      ),
    );
    expect(seen.page.status).toBe(200);
    expect(seen.page.title).toMatch(/contribute/i);
    expect(seen.page.script, 'the contribute page loads a script from /assets').not.toBeNull();
    expect(seen.asset).toEqual({ status: 200, type: expect.stringMatching(/javascript/) });
    expect(seen.joined.mesh).toBe('default');
    expect(seen.run.stderr).not.toContain('handout:');
    expect(seen.run.code).toBe(0);
    expect(seen.run.output.status).toBe('succeeded');
    expect(seen.run.output.results.sum).toBe(30);
    // Every function ran on the contributing peer, not in the submitting process.
    expect(new Set(seen.run.output.functions.map((f: { peer: string }) => f.peer))).toEqual(
      new Set([seen.joined.peerId]),
    );
  });
});
