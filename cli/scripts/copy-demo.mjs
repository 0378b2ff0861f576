// Copies the demo's built pages into this package (cli/demo), so that a published `handout` serves them with
// `handout signal --demo` without the private demo package. pnpm builds @handout/demo first (a devDependency).
import { cpSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const from = join(dirname(createRequire(import.meta.url).resolve('@handout/demo/package.json')), 'dist');
const to = join(here, '..', 'demo');
if (!existsSync(join(from, 'contribute.html'))) {
  console.error(`copy-demo: no demo build at ${from}; run 'pnpm --filter @handout/demo build' first`);
  process.exit(1);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log(`copy-demo: ${from} -> ${to}`);
