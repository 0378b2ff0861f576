/**
 * A build guard: reports every Node-only module (a `node:` built-in, a bare built-in name, or a package that
 * only runs in Node) that browser code imports, with the chain of importers that brought it in.
 *
 * Vite would otherwise replace such a module with an empty stub and print (at most) a quiet warning; the page
 * then breaks only when that code path runs. Each finding is printed as one `[browser-guard]` line; with
 * `strict` the build fails instead (the end-to-end suite asserts the build log has no such line).
 */
import { existsSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative } from 'node:path';
import type { Plugin } from 'vite';

/** Packages that only work in Node (native addons or Node APIs). */
const NODE_ONLY_PACKAGES = ['lmdb', 'node-datachannel', 'piscina', '@roamhq/wrtc'];
const BUILTINS = new Set(builtinModules);

function isNodeOnly(source: string): boolean {
  if (source.startsWith('node:')) return true;
  const bare = source.split('/')[0]!;
  if (BUILTINS.has(source) || BUILTINS.has(bare)) return true;
  return NODE_ONLY_PACKAGES.some((p) => source === p || source.startsWith(`${p}/`));
}

/**
 * Whether the package holding `importer` maps `source` to `false` in its package.json `browser` field: the
 * package's own statement that in browsers the import is optional and an empty module is fine (readable-stream
 * does this for `util`, which it only uses for debug logging when present).
 */
function declaredOptionalInBrowser(source: string, importer: string): boolean {
  let dir = dirname(importer.split('?')[0]!);
  for (let depth = 0; depth < 8; depth++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      const browser = (JSON.parse(readFileSync(manifest, 'utf8')) as { browser?: unknown }).browser;
      return (
        typeof browser === 'object' &&
        browser !== null &&
        (browser as Record<string, unknown>)[source] === false
      );
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return false;
}

export interface BrowserGuardOptions {
  /** Fail the build on a finding instead of printing it. Default false. */
  readonly strict?: boolean;
  /** Paths are printed relative to this directory. */
  readonly root: string;
}

export function browserGuard(options: BrowserGuardOptions): Plugin {
  const findings: Array<{ source: string; importer: string }> = [];
  const rel = (id: string): string => relative(options.root, id.split('?')[0]!) || id;
  return {
    name: 'handout:browser-guard',
    apply: 'build',
    enforce: 'pre',
    async resolveId(source, importer, resolveOptions) {
      if (!importer || !isNodeOnly(source)) return null;
      if (!source.startsWith('node:') && BUILTINS.has(source.split('/')[0]!)) {
        // A bare built-in name (`events`, `buffer`) is fine when a browser package of that name is installed
        // (the usual polyfills); it is a finding only when Vite would stub it out.
        const resolved = await this.resolve(source, importer, { ...resolveOptions, skipSelf: true });
        if (resolved && !resolved.external && !resolved.id.includes('browser-external')) return null;
        if (declaredOptionalInBrowser(source, importer)) return null;
      }
      findings.push({ source, importer });
      return null;
    },
    buildEnd() {
      for (const { source, importer } of findings) {
        // Walk up the first importer of each module to show how the Node code got in.
        const chain = [rel(importer)];
        let current = importer;
        for (let depth = 0; depth < 12; depth++) {
          const next = this.getModuleInfo(current)?.importers[0];
          if (!next || chain.includes(rel(next))) break;
          chain.push(rel(next));
          current = next;
        }
        const line = `[browser-guard] Node-only '${source}' reaches the browser bundle: ${chain.join(' ← ')}`;
        if (options.strict) this.error(line);
        else this.warn(line);
      }
    },
  };
}
