/**
 * The CLI's start-up: `--version`, and `validate` loads only what validating needs. Each command's implementation
 * is imported when it runs (cli/src/commands/types.ts), so neither loads socket.io, WebRTC or LMDB; these tests
 * record every module the real process resolves and fail when a static import brings one of them back.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, onTestFinished, test } from 'vitest';
import { fixtures, handout, repoRoot, tempDir } from './cli-process.js';

/** Packages that only the mesh commands and `run` need. */
const MESH_PACKAGES = [
  'socket.io',
  'socket.io-client',
  'engine.io-client',
  'simple-peer',
  'node-datachannel',
  'lmdb',
];

async function modulesLoadedBy(
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; modules: string[] }> {
  const t = tempDir();
  onTestFinished(t.cleanup);
  const record = join(t.dir, 'modules.txt');
  const r = await handout(args, {
    env: { HANDOUT_TEST_MODULES: record },
    nodeArgs: ['--import', pathToFileURL(join(fixtures, 'record-modules.mjs')).href],
  });
  const modules = readFileSync(record, 'utf8').split('\n').filter(Boolean);
  return { code: r.code, stdout: r.stdout, modules };
}

/** The package names among the resolved URLs (from node_modules paths). */
function packagesOf(urls: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const url of urls) {
    const m = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\/(?!.*node_modules\/)/);
    if (m) names.add(m[1]!);
  }
  return names;
}

describe('handout start-up', () => {
  test('--version prints the version of the handout package and loads no command', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'cli/package.json'), 'utf8')) as {
      version: string;
    };
    const r = await modulesLoadedBy(['--version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${version}\n`);
    expect(r.modules.some((u) => u.includes('-action.'))).toBe(false);
    // Of the other workspace packages, only the typed errors (CliInputError's base class) and the signaling
    // server's address-limit defaults (shown in `handout signal --help`; two small modules, no socket.io).
    const outsideCli = r.modules.filter((u) => /\/(peer-runtime|sdk|signaling-server)\//.test(u));
    expect(outsideCli.map((u) => u.replace(/^.*\/(peer-runtime|sdk|signaling-server)\//, '$1/'))).toEqual([
      'peer-runtime/src/errors.ts',
      'signaling-server/src/address-limits.ts',
      'signaling-server/src/rate-limit.ts',
    ]);
    expect(
      [...packagesOf(r.modules)].filter((p) => p.startsWith('@handout/') || MESH_PACKAGES.includes(p)),
    ).toEqual([]);
  });

  test('validate loads the DAG model and the builder, and none of the mesh, WebRTC or disk-store packages', async () => {
    const r = await modulesLoadedBy(['validate', 'examples/hello.dag.mjs']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok\n');
    const packages = packagesOf(r.modules);
    expect(packages.has('acorn')).toBe(true); // the source check ran: the probe sees what was loaded
    expect(MESH_PACKAGES.filter((p) => packages.has(p))).toEqual([]);
    expect(r.modules.some((u) => u.includes('validate-action.'))).toBe(true);
    expect(r.modules.some((u) => u.includes('run-action.') || u.includes('peer-action.'))).toBe(false);
  });
});
