/**
 * The consumer test (consumer.test.ts): builds, packs and installs the packages with npm from the registry, so
 * it runs in the host network, apart from the rest of the suite (which runs inside the private network namespace,
 * where the registry cannot be reached). Its WebRTC part runs inside a namespace of its own (mesh-check.mjs
 * under test/netns/run.sh). Run from the repository root:
 *
 *   pnpm exec vitest run --config test/packages/vitest.config.ts
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('../..', import.meta.url));

export default defineConfig({
  root,
  test: {
    include: ['test/packages/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 900_000,
  },
});
