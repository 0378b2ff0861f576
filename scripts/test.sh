#!/usr/bin/env bash
# The whole test suite on a fresh machine of this kind (Node 20 + npm, root): installs what it needs, then
# runs lint, typecheck and every test. WebRTC and browser tests run inside a private network namespace
# (test/netns/run.sh) so nothing can leave the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm lint
pnpm typecheck
if [ -x test/netns/run.sh ] || [ -f test/netns/run.sh ]; then
  bash test/netns/run.sh pnpm exec vitest run
else
  pnpm exec vitest run
fi
