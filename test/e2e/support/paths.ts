/** Where the end-to-end tests find and put things. */
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
export const demoDir = `${repoRoot}demo`;
export const demoDist = `${demoDir}/dist`;
/** Screenshots and logs kept as artifacts (gitignored). */
export const artifactsDir = `${repoRoot}test-results/e2e`;
