/**
 * Builds the demo once for all end-to-end tests (`vite build` → demo/dist, the same output the signaling server
 * serves in production) and hands the build log to the tests.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { TestProject } from 'vitest/node';
import { artifactsDir, demoDir, demoDist } from './paths.js';

declare module 'vitest' {
  export interface ProvidedContext {
    demoDist: string;
    demoBuildLog: string;
  }
}

export default function setup(project: TestProject): void {
  mkdirSync(artifactsDir, { recursive: true });
  const vite = `${demoDir}/node_modules/vite/bin/vite.js`;
  const result = spawnSync(process.execPath, [vite, 'build', ...extraArgs()], {
    cwd: demoDir,
    encoding: 'utf8',
    // NODE_ENV: vitest sets it to `test`, which would make Vite build in development mode.
    env: { ...process.env, NODE_ENV: 'production', NO_COLOR: '1', FORCE_COLOR: '0' },
    timeout: 180_000,
  });
  const log = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  writeFileSync(`${artifactsDir}/vite-build.log`, log);
  if (result.status !== 0) {
    throw new Error(
      `the demo build failed (exit ${result.status}); see test-results/e2e/vite-build.log:\n${log.slice(-3000)}`,
    );
  }
  project.provide('demoDist', process.env.HANDOUT_E2E_DIST ?? demoDist);
  project.provide('demoBuildLog', log);
}

/** HANDOUT_E2E_VITE_CONFIG points the build at another config (e.g. one with a different outDir). */
function extraArgs(): string[] {
  const config = process.env.HANDOUT_E2E_VITE_CONFIG;
  return config ? ['--config', config] : [];
}
