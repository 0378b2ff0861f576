/**
 * End-to-end tests: the demo built by Vite, served by a small static server, driven in Debian's Chromium through
 * playwright-core. Run from the repository root:
 *
 *   pnpm exec vitest run --config test/e2e/vitest.config.ts
 *
 * The global setup builds the demo once (demo/dist) and records the build's warnings, so a test can assert that
 * no Node-only module reached the browser bundle.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    // test/nat's browser half (a Chromium tab behind a NAT) needs the demo's build too.
    include: ['test/e2e/**/*.test.ts', 'test/nat/**/*.browser.test.ts'],
    globalSetup: ['test/e2e/support/global-setup.ts'],
    // One browser at a time: the machine has 2 cores and every page runs Web Workers on all of them.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
