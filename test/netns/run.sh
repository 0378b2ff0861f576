#!/usr/bin/env bash
# Runs a command inside a private network namespace so WebRTC tests cannot send a packet off this machine:
# loopback up, a veth pair with private test addresses (10.231.0.1/24 <-> 10.231.0.2/24) and a default route
# through it (Chromium gathers no ICE candidates with loopback alone; with a default route it gathers a host
# candidate on hv0, and packets toward any outside address stay inside the namespace and are dropped).
# See /work/shared/NETWORK-TESTS.md. Inside, HANDOUT_NETNS=1 is set.
#
# Where `unshare -n` is not permitted (no root, a container without CAP_SYS_ADMIN), the command runs in the
# host network instead, with a notice; the transports' ICE server list is empty by default, so nothing is
# sent to a STUN server either way. Set HANDOUT_NETNS=0 to skip the namespace on purpose.
#
# Usage: test/netns/run.sh <command> [args...]     e.g. test/netns/run.sh pnpm exec vitest run
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 <command> [args...]" >&2
  exit 2
fi

if [ "${HANDOUT_NETNS:-}" = "1" ]; then
  exec "$@" # already inside
fi

if [ "${HANDOUT_NETNS:-}" != "0" ] && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 \
  && unshare -n true 2>/dev/null; then
  exec unshare -n bash -c '
    set -e
    ip link set lo up
    ip link add hv0 type veth peer name hv1
    ip addr add 10.231.0.1/24 dev hv0
    ip addr add 10.231.0.2/24 dev hv1
    ip link set hv0 up
    ip link set hv1 up
    ip route add default via 10.231.0.2 dev hv0
    export HANDOUT_NETNS=1
    exec "$@"' _ "$@"
fi

echo "netns: 'unshare -n' is not permitted here; running in the host network with an empty ICE server list" >&2
export HANDOUT_NETNS=0
exec "$@"
