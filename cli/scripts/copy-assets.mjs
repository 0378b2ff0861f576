// Copies what the published `handout` package serves or points at but does not build itself:
// - the demo's built pages into cli/demo, so `handout signal --demo` serves them without the private demo package
//   (pnpm builds @handout/demo first: it is a devDependency of this package);
// - the CLI reference, docs/cli.md, into cli/docs, because `handout --help` and error messages point at it.
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..');
const demoFrom = join(dirname(createRequire(import.meta.url).resolve('@handout/demo/package.json')), 'dist');
if (!existsSync(join(demoFrom, 'contribute.html'))) {
  console.error(`copy-assets: no demo build at ${demoFrom}; run 'pnpm --filter @handout/demo build' first`);
  process.exit(1);
}
const demoTo = join(pkg, 'demo');
rmSync(demoTo, { recursive: true, force: true });
cpSync(demoFrom, demoTo, { recursive: true });

const docsTo = join(pkg, 'docs');
rmSync(docsTo, { recursive: true, force: true });
mkdirSync(docsTo);
cpSync(join(pkg, '..', 'docs', 'cli.md'), join(docsTo, 'cli.md'));
console.log(`copy-assets: ${demoFrom} -> ${demoTo}; docs/cli.md -> ${docsTo}`);
