#!/usr/bin/env node
// The README's main job (`npm start` / `pnpm start`). `npm start` on a fresh machine has only Node and npm, so
// first it installs what the project needs (pnpm included). Then:
//   1. the bundled example DAG runs locally, with no server at all (the embedded default), and prints results;
//   2. scripts/main-job.ts starts a whole mesh on this machine (signaling server + demo page, two Node peers, a
//      coordinator), runs the showcase DAG on it, prints a summary and the URLs to open, and waits for Ctrl-C.
import { spawn, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = { ...process.env, HANDOUT_SKIP_CHROMIUM: '1' };
const step = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
step('bash', ['scripts/setup.sh']);
console.log('\n== 1. A DAG on this machine alone (no server): examples/hello.dag.mjs\n');
step('pnpm', ['--silent', 'handout', 'run', 'examples/hello.dag.mjs']);
console.log('\n== 2. The same machinery as a mesh: signaling server, two Node peers, a coordinator\n');
const job = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', 'scripts/main-job.ts'], {
  cwd: root,
  stdio: 'inherit',
  env,
});
// Ctrl-C reaches the job too (same process group); it shuts the mesh down and exits. Wait for that.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => job.kill('SIGTERM'));
job.on('exit', (code) => process.exit(code ?? 1));
