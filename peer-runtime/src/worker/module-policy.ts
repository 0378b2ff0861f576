/**
 * Which module code references (`{ kind: 'module', module: url, export }`) a worker may import.
 *
 * A module import runs with the worker's full powers (it is not compiled in the sandbox's compartment: SES
 * would need the module's source and a module loader for every import it makes), so allowing a module is
 * trusting whoever serves it. Hence:
 * - `'any'`: every URL, `file:` and `data:` included. The local engine's default (`runLocal` runs the user's own
 *   modules on the user's own machine) and what `trustCode: true` implies.
 * - a list of URL prefixes (`--allow-module https://cdn.example/lib/`): only `http:`/`https:` URLs under one of
 *   them. `file:`, `data:`, `blob:`, `node:` and every other scheme are refused whatever the list says: on a
 *   contributor they would read its disk or run code that nobody allow-listed. The empty list (a mesh peer's
 *   default) refuses every module.
 */
export type ModulePolicy = 'any' | readonly string[];

/** Why `url` may not be imported under `policy`, or undefined when it may. */
export function moduleRefusal(url: string, policy: ModulePolicy): string | undefined {
  if (policy === 'any') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `'${url}' is not an absolute URL`;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return `'${parsed.protocol}' modules are never loaded on a mesh peer`;
  }
  if (policy.some((prefix) => underPrefix(parsed, prefix))) return undefined;
  return policy.length === 0
    ? 'this peer allows no module code (its operator can allow origins with --allow-module)'
    : `it is not under an origin this peer allows (${policy.join(', ')})`;
}

/**
 * Prefixes are compared as parsed URLs, so `https://cdn.example` means `https://cdn.example/` and cannot be
 * matched by `https://cdn.example.evil.test/`; a path prefix matches at a segment boundary only when it ends
 * with `/` (`https://cdn.example/lib/` does not allow `https://cdn.example/library.js`).
 */
function underPrefix(url: URL, prefix: string): boolean {
  let base: URL;
  try {
    base = new URL(prefix);
  } catch {
    return false;
  }
  if (base.origin !== url.origin) return false;
  const path = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
  return url.pathname === base.pathname || url.pathname.startsWith(path);
}

/** An allow-list entry that is not an http(s) URL; `field` names the option, as CapabilityError does. */
export class ModulePolicyError extends TypeError {
  override name = 'ModulePolicyError';
  readonly field = 'allow-module';
}

/** Checks an operator's list up front, so a typo fails at start-up rather than refusing every module later. */
export function assertModulePrefixes(prefixes: readonly string[]): void {
  for (const prefix of prefixes) {
    let parsed: URL;
    try {
      parsed = new URL(prefix);
    } catch {
      throw new ModulePolicyError(`allowed module origin '${prefix}' is not an absolute URL`);
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new ModulePolicyError(
        `allowed module origin '${prefix}' must be http: or https: (got '${parsed.protocol}')`,
      );
    }
  }
}
