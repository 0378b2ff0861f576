#!/usr/bin/env bash
# Installs what the project needs on a fresh machine of this kind: pnpm (pinned), the workspace's packages,
# and the Debian packages the tests use (Chromium — never a browser download of Playwright's own —, iptables,
# coturn, redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."
want=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm -v)" != "$want" ]; then
  npm i -g "pnpm@$want" >/dev/null
fi
pnpm install --frozen-lockfile --reporter=silent
# Debian packages the tests drive for real: Chromium (browser tests), iptables (NATs between network namespaces),
# coturn (TURN relays), redis-server (signaling on several processes). Installed only when missing, as root.
need=()
if [ "${HANDOUT_SKIP_CHROMIUM:-}" != "1" ] && [ ! -x /usr/bin/chromium ]; then need+=(chromium); fi
command -v iptables >/dev/null 2>&1 || [ -x /usr/sbin/iptables ] || need+=(iptables)
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    # The whole list, spelled out: apt-get skips what is already installed, and a reader sees every package here.
    apt-get update -qq
    if [ "${HANDOUT_SKIP_CHROMIUM:-}" = "1" ]; then
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq iptables coturn redis-server >/dev/null
    else
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium iptables coturn redis-server >/dev/null
    fi
    # The packages' own services are not wanted: tests start their own servers on their own ports.
    for svc in redis-server coturn; do
      if command -v service >/dev/null 2>&1; then service "$svc" stop >/dev/null 2>&1 || true; fi
    done
  else
    echo "setup: missing ${need[*]} and not root; the tests that need them will fail with a message naming them" >&2
  fi
fi
