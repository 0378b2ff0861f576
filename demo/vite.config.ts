/**
 * The demo app: a landing page, the contribute page (a browser joins the mesh as a peer), the dashboard and the
 * showcase. `vite` serves it in development; `vite build` writes demo/dist, which the signaling server serves in
 * production (its `staticDir` option).
 */
import { fileURLToPath } from 'node:url';
import { defaultClientConditions, defineConfig } from 'vite';
import { browserGuard } from './vite-plugin-browser-guard.js';

const page = (name: string): string => fileURLToPath(new URL(`./${name}.html`, import.meta.url));
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
// HANDOUT_BROWSER_GUARD=strict fails the build when Node-only code reaches the browser bundle.
const guard = () => browserGuard({ root: repoRoot, strict: process.env.HANDOUT_BROWSER_GUARD === 'strict' });

export default defineConfig({
  // Relative asset URLs: the same build works under `/` (signaling server) and under any sub-path.
  base: './',
  resolve: {
    // Workspace packages resolve to their TypeScript sources (their `source` export condition), so the demo
    // always runs the code in the checkout and needs no package build first.
    conditions: ['source', ...defaultClientConditions],
  },
  plugins: [guard()],
  worker: {
    // Module workers: the pool's workers import the runtime like any other module.
    format: 'es',
    plugins: () => [guard()],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The dashboard's graph layout (dagre) is the largest dependency; keep the warning meaningful.
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      input: {
        index: page('index'),
        contribute: page('contribute'),
        dashboard: page('dashboard'),
        showcase: page('showcase'),
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: false },
  preview: { host: '127.0.0.1', port: 4173 },
});
