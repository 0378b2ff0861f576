#!/usr/bin/env bash
# Installs what the project needs on a fresh machine of this kind: pnpm (pinned), the workspace's packages,
# and Debian's Chromium for the browser tests (never a browser download of Playwright's own).
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v)" != "$want" ]; then
  npm i -g "pnpm@$want" >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent
if [ "${HANDOUT_SKIP_CHROMIUM:-}" != "1" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: /usr/bin/chromium is missing and we are not root; browser tests will be skipped" >&2
  fi
fi
