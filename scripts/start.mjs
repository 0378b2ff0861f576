#!/usr/bin/env node
// The README's main job. First it installs what the project needs (pnpm included) — `npm start` on a fresh
// machine has only Node and npm — then it runs the bundled example DAG locally and prints its results.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (cmd, args) => {
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, HANDOUT_SKIP_CHROMIUM: '1' },
  });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
step('bash', ['scripts/setup.sh']);
step('pnpm', ['handout', 'run', 'examples/hello.dag.mjs']);
