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
    // test/nat/*.browser.test.ts runs with the browser tests (it needs the demo's build).
    exclude: ['**/node_modules/**', 'test/e2e/**', 'test/packages/**', 'test/nat/**/*.browser.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['peer-runtime/src/**', 'sdk/src/**', 'cli/src/**', 'signaling-server/src/**'],
      // text-summary for the log, json-summary for CI's job summary, html to browse (coverage/index.html).
      reporter: ['text-summary', 'json-summary', 'html'],
      // A run whose coverage falls below these fails. They sit two points under the figures of the unit and
      // mesh tests alone (peer-runtime/test minus transports, sdk/test, cli units: 71.0% statements, 61.5%
      // branches, 69.0% functions, 73.0% lines), which the whole suite can only exceed; raise them to two points
      // under the whole suite's figures once CI has reported those.
      thresholds: { statements: 69, branches: 59, functions: 67, lines: 71 },
    },
  },
});
