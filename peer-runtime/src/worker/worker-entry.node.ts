/**
 * Which file a Node worker runs, so that it starts fast.
 *
 * Built (`dist/…/pool.node.js`): the sibling `worker.node.js`, plain Node.
 *
 * From source (this module's URL ends with `.ts`: under vitest, `node --import tsx`, `pnpm handout`): the `.ts`
 * worker graph is bundled with esbuild (tsx's own dependency, so present wherever tsx is) into one plain `.mjs`
 * file, cached until one of its input files changes (see {@link bundleWorker}). Why: loading TypeScript in a
 * worker means registering tsx's hooks there, which on Node 20 runs a module-loader thread per worker and
 * compiles each file again; measured on this 2-core machine that made every worker start 4–5× slower than the
 * built one (≈ 350 ms idle, 2–3.5 s loaded, against 60–140 ms / 140–900 ms built), and a run's own pool waits
 * for it. A bundle costs one esbuild call (0.1–0.6 s here), once per change of the sources; checking the cache
 * costs a stat per input file.
 *
 * If esbuild cannot be found or the bundle fails, the worker falls back to a tiny eval'd bootstrap that
 * registers tsx's hooks through its API and imports the `.ts` entry (slow, but it works): on Node 20
 * `execArgv: ['--import', 'tsx']` does not register tsx's hooks inside a worker thread. tsx is resolved from
 * this module's own location and handed over as an absolute URL: a bare `import('tsx/…')` in eval'd code
 * resolves against the process's working directory, which fails for a program started from outside the
 * repository ("Cannot find package 'tsx'").
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface WorkerEntry {
  readonly specifier: URL | string;
  readonly eval: boolean;
  readonly execArgv: string[] | undefined;
}

/** The part of esbuild's API used here (esbuild is not a dependency of this package, so not its types either). */
interface EsbuildApi {
  buildSync(options: {
    entryPoints: string[];
    absWorkingDir: string;
    bundle: true;
    format: 'esm';
    platform: 'node';
    target: string;
    conditions: string[];
    outfile: string;
    metafile: true;
    logLevel: 'silent';
    banner: { js: string };
  }): { metafile: { inputs: Record<string, unknown> } };
}

/** What a cached bundle was made from: each input file (absolute path) with its size and mtime then. */
type BundleInputs = Record<string, readonly [size: number, mtimeMs: number]>;

let bundled: URL | undefined | null;

export function workerEntry(): WorkerEntry {
  if (!import.meta.url.endsWith('.ts')) {
    return { specifier: new URL('./worker.node.js', import.meta.url), eval: false, execArgv: undefined };
  }
  bundled ??= bundleWorker() ?? null;
  if (bundled) return { specifier: bundled, eval: false, execArgv: undefined };
  const entry = new URL('./worker.node.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxEsmApi())}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); });`;
  return { specifier: bootstrap, eval: true, execArgv: ['--conditions=source'] };
}

/**
 * The worker graph as one `.mjs` file, or undefined when esbuild is missing or fails. Cached in this package's
 * `node_modules/.cache/handout-worker/` (inside the checkout, owned by whoever owns it: a shared /tmp would let
 * another user of the machine plant the code our workers run), reused while every input file keeps its size
 * and mtime. A new bundle is written under a unique name and renamed into place, so processes that build at
 * once never read half a file.
 */
function bundleWorker(): URL | undefined {
  const entry = fileURLToPath(new URL('./worker.node.ts', import.meta.url));
  const dir = fileURLToPath(new URL('../../node_modules/.cache/handout-worker/', import.meta.url));
  const outfile = join(dir, 'worker.node.mjs');
  const manifest = join(dir, 'inputs.json');
  if (upToDate(outfile, manifest)) return pathToFileURL(outfile);
  const unique = `${process.pid}-${Date.now().toString(36)}`;
  const tmpOut = join(dir, `worker.node.${unique}.mjs`);
  try {
    const require = createRequire(import.meta.url);
    const esbuild = createRequire(require.resolve('tsx/package.json'))('esbuild') as EsbuildApi;
    mkdirSync(dir, { recursive: true });
    const workDir = dirname(entry);
    const { metafile } = esbuild.buildSync({
      entryPoints: [entry],
      absWorkingDir: workDir,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      conditions: ['source'],
      outfile: tmpOut,
      metafile: true,
      logLevel: 'silent',
      // A CommonJS dependency bundled into ESM may call require() for a Node built-in.
      banner: {
        js: "import { createRequire as __handoutRequire } from 'node:module'; const require = __handoutRequire(import.meta.url);",
      },
    });
    const inputs: BundleInputs = {};
    for (const input of Object.keys(metafile.inputs)) {
      const path = resolve(workDir, input);
      const st = statSync(path);
      inputs[path] = [st.size, st.mtimeMs];
    }
    renameSync(tmpOut, outfile);
    const tmpManifest = join(dir, `inputs.${unique}.json`);
    writeFileSync(tmpManifest, JSON.stringify(inputs));
    renameSync(tmpManifest, manifest);
    return pathToFileURL(outfile);
  } catch {
    // No esbuild, a failed bundle or an unwritable cache: the tsx bootstrap still runs the worker, only slower.
    rmSync(tmpOut, { force: true });
    return undefined;
  }
}

/** The cached bundle exists and every file it was made from is as it was then. */
function upToDate(outfile: string, manifest: string): boolean {
  try {
    if (!existsSync(outfile)) return false;
    const inputs = JSON.parse(readFileSync(manifest, 'utf8')) as BundleInputs;
    const paths = Object.keys(inputs);
    if (paths.length === 0) return false;
    for (const path of paths) {
      const st = statSync(path);
      const [size, mtimeMs] = inputs[path]!;
      if (st.size !== size || st.mtimeMs !== mtimeMs) return false;
    }
    return true;
  } catch {
    // A missing or unreadable manifest, or an input gone: build again.
    return false;
  }
}

/**
 * The URL of tsx's ESM API (`tsx/esm/api` under the `import` condition). `require.resolve` would give its
 * CommonJS build, which cannot register the ESM hooks from inside an ES module, so the target is read from tsx's
 * own `exports` map, located with `require.resolve` from this module.
 */
function tsxEsmApi(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = require(manifestPath) as {
    exports?: Record<string, string | { import?: string | { default?: string } }>;
  };
  const target = manifest.exports?.['./esm/api'];
  const file = typeof target === 'object' ? target.import : undefined;
  const relative = typeof file === 'object' ? file.default : file;
  if (relative === undefined) throw new Error(`tsx at ${manifestPath} has no ESM entry for 'tsx/esm/api'`);
  return new URL(relative, pathToFileURL(manifestPath)).href;
}
