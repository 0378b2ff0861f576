/**
 * `handout peer`: joins a mesh and contributes this machine's cores until SIGINT/SIGTERM, then leaves cleanly:
 * it stops taking work, lets running functions finish for a grace period, and hands back the rest so the
 * coordinator re-runs it elsewhere. With `--coordinator` it also coordinates runs submitted to the mesh.
 */

import { ICE_SERVER_FLAG } from './ice-flag.js';
import { LOG_FLAGS } from './log-flags.js';
import type { CommandDef, FlagDef } from './types.js';

export const PEER_FLAGS: readonly FlagDef[] = [
  {
    flag: '--signal',
    kind: 'value',
    env: 'HANDOUT_SIGNAL',
    meaning: 'URL of the signaling server, or several (a,b: processes sharing Redis, tried in turn).',
  },
  {
    flag: '--token',
    kind: 'value',
    env: 'HANDOUT_TOKEN',
    meaning: 'Token admitting this peer (role contribute). Prefer the variable: a flag is visible in ps.',
  },
  { flag: '--token-file', kind: 'value', meaning: 'Read the token from this file.' },
  {
    flag: '--trust-code',
    kind: 'boolean',
    meaning: 'Run functions with full Node powers, not sandboxed (private meshes only).',
  },
  {
    flag: '--allow-module',
    kind: 'value',
    env: 'HANDOUT_ALLOW_MODULE',
    meaning: 'Comma-separated http(s) URL prefixes whose module code may run (default none).',
  },
  {
    flag: '--concurrency',
    kind: 'value',
    env: 'HANDOUT_CONCURRENCY',
    meaning: 'Worker slots (default: every core).',
  },
  {
    flag: '--tags',
    kind: 'value',
    env: 'HANDOUT_TAGS',
    meaning: 'Comma-separated tags functions can ask for.',
  },
  { flag: '--cost', kind: 'value', env: 'HANDOUT_COST', meaning: 'Price of one core-second (default 0).' },
  {
    flag: '--label',
    kind: 'value',
    env: 'HANDOUT_LABEL',
    meaning: 'A name for people, shown by dashboards (at most 64 characters; not used for placement).',
  },
  { flag: '--memory', kind: 'value', meaning: 'Memory offered in MiB (default: free memory).' },
  { flag: '--speed', kind: 'value', meaning: 'Speed score to advertise (default: measured at start).' },
  { flag: '--coordinator', kind: 'boolean', meaning: 'Also coordinate runs (token role coordinate).' },
  {
    flag: '--receipt-ttl',
    kind: 'value',
    meaning: 'Seconds a cache receipt is believed (and kept) after its issue (default 2592000, 30 days).',
  },
  {
    flag: '--wait-timeout',
    kind: 'value',
    meaning: 'Coordinator: seconds a function may wait for a peer meeting its needs (default 30).',
  },
  ICE_SERVER_FLAG,
  {
    flag: '--connect-timeout',
    kind: 'value',
    meaning: 'Seconds one attempt to open a peer-to-peer link may take (default 15; 3 attempts).',
  },
  {
    flag: '--believe-capabilities',
    kind: 'boolean',
    meaning:
      'Coordinator: place work by the slots and speed peers advertise instead of what they deliver (slow start, measured speed): only for a mesh of your own machines.',
  },
  { flag: '--cache-dir', kind: 'value', env: 'HANDOUT_CACHE_DIR', meaning: 'Result cache directory.' },
  { flag: '--cache-max-mb', kind: 'value', meaning: 'Result cache bound in MiB (default 1024).' },
  { flag: '--grace', kind: 'value', meaning: 'Seconds running functions may finish on exit (default 5).' },
  { flag: '--json', kind: 'boolean', meaning: 'Log one JSON object per line on stdout (--log-format json).' },
  ...LOG_FLAGS,
  {
    flag: '--metrics-port',
    kind: 'value',
    env: 'HANDOUT_METRICS_PORT',
    meaning: 'Serve Prometheus metrics at GET /metrics on this port (default: off; 0 picks a free one).',
  },
  {
    flag: '--metrics-host',
    kind: 'value',
    meaning: 'Interface of --metrics-port (default 127.0.0.1: exposing metrics is a deliberate choice).',
  },
];

export const peerCommand: CommandDef = {
  name: 'peer',
  summary: 'join a mesh and contribute this machine until Ctrl-C',
  synopsis:
    'handout peer --signal <url> [--token-file f] [--trust-code] [--allow-module https://cdn.example/] [--concurrency N] [--tags gpu,eu] [--cost 0.5] [--label "lab box 3"] [--coordinator] [--cache-dir d] [--json] [--log-level debug|info|warn|error] [--log-format json|pretty] [--metrics-port 9464]',
  description:
    'Joins the mesh of the token through the signaling server (`--signal` or HANDOUT_SIGNAL; the token from ' +
    'HANDOUT_TOKEN or `--token-file`, or `--token`, which warns: a command line is readable by every process on ' +
    'the machine) and runs the functions coordinators assign to it on a pool of worker threads, until SIGINT ' +
    'or SIGTERM. It advertises its cores (`--concurrency`, default all), memory (`--memory` MiB), tags (`--tags`), ' +
    'price (`--cost`, per core-second) and a speed score measured by a short calibration run at start ' +
    '(`--speed` to set it). It connects to other peers over WebRTC with the STUN/TURN servers the signaling ' +
    'server hands out (`handout signal --turn-url`) and those of `--ice-server` (HANDOUT_ICE_SERVERS; default none: ' +
    'direct links only). Results are kept in a disk cache (`--cache-dir`, default ' +
    '~/.cache/handout/peers/<peer id>; bounded by `--cache-max-mb`, default 1024) and served to other peers, so a ' +
    'rerun finds them. `--coordinator` also coordinates runs (the token must grant `coordinate`); a function no ' +
    'peer can satisfy then fails after `--wait-timeout` seconds (default 30) naming the unmet need. Functions ' +
    'run sandboxed (no process, files, network or imports; docs/security.md); `--trust-code` runs them with full ' +
    "Node powers instead, warns at start and advertises the tag 'trusted-code' (pin such work with node: { tags: " +
    "['trusted-code'] }). Module code references run only under the `--allow-module` prefixes (http(s); never " +
    'file: or data:). On SIGINT or ' +
    'SIGTERM it stops taking work, lets running functions finish for `--grace` seconds (default 5), hands back ' +
    'the rest, leaves and exits 0; a second signal exits at once (130). Exits 2 for bad input or a refused ' +
    'token (naming the reason). It logs on stdout (`--log-level`, default info; `--log-format pretty` or `json`, ' +
    'one object per line with `level`, `time`, `msg`, and `event` for joined, peer:joined, peer:left, peer:lost, ' +
    'task:waiting, leaving, left; `--json` is `--log-format json`); the agent and the coordinator log into the ' +
    'same stream (docs/telemetry.md). `--metrics-port` serves Prometheus metrics (functions run and failed, ' +
    'bytes per link, cache, coordinator queue and runs, process and Node runtime) at `/metrics` on ' +
    '`--metrics-host` (default 127.0.0.1); the `metrics` log line gives the URL.',
  flags: PEER_FLAGS,
  load: () => import('./peer-action.js'),
};
