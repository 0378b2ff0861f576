#!/usr/bin/env bash
# The whole test suite on a fresh machine of this kind (Node 20 + npm, root): installs what it needs, then
# runs lint, typecheck and every test. WebRTC and browser tests run inside a private network namespace
# (test/netns/run.sh) so nothing can leave the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm lint
pnpm typecheck
# Unit, integration and process tests, then the browser tests (Vite build + Debian's Chromium), both inside
# the network namespace.
# HANDOUT_COVERAGE=1 (set by the GitHub workflow) adds V8 coverage with the thresholds of vitest.config.ts.
coverage=()
if [ "${HANDOUT_COVERAGE:-}" = "1" ]; then coverage=(--coverage); fi
bash test/netns/run.sh pnpm exec vitest run "${coverage[@]}"
bash test/netns/run.sh pnpm exec vitest run --config test/e2e/vitest.config.ts
# The packages as users get them: build, pack, npm install into a temp project, run there. It reaches the
# registry, so it runs in the host network; its WebRTC part starts a namespace of its own.
pnpm exec vitest run --config test/packages/vitest.config.ts
