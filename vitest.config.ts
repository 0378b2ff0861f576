import { defineConfig } from 'vitest/config';

// Unit and integration tests run from TypeScript sources: the `source` export
// condition points every workspace package at its src/ instead of dist/.
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: [
      'peer-runtime/test/**/*.test.ts',
      'sdk/test/**/*.test.ts',
      'cli/test/**/*.test.ts',
      'signaling-server/test/**/*.test.ts',
      'demo/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    // test/e2e and test/packages have configs of their own (a browser; the registry, outside the namespace).
    exclude: ['**/node_modules/**', 'test/e2e/**', 'test/packages/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['peer-runtime/src/**', 'sdk/src/**', 'cli/src/**', 'signaling-server/src/**'],
    },
  },
});
