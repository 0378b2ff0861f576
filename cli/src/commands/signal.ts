/**
 * `handout signal`: runs a signaling server until SIGINT/SIGTERM. Without `--secret` it makes a random one and
 * prints a ready token for the mesh `default` with every role, so a first try needs no set-up.
 */
import type { FlagDef } from './mesh-flags.js';
import type { CommandDef } from './types.js';

export const SIGNAL_FLAGS: readonly FlagDef[] = [
  {
    flag: '--port',
    kind: 'value',
    env: 'HANDOUT_PORT',
    meaning: 'TCP port (default 8080; 0 picks a free one).',
  },
  { flag: '--host', kind: 'value', env: 'HANDOUT_HOST', meaning: 'Interface to bind (default 127.0.0.1).' },
  {
    flag: '--secret',
    kind: 'value',
    env: 'HANDOUT_SECRET',
    meaning: 'HMAC secret for tokens (default: random).',
  },
  { flag: '--static', kind: 'value', meaning: 'Directory served as static files (the demo pages).' },
  {
    flag: '--demo',
    kind: 'boolean',
    meaning: "Serve the demo pages (shipped in the handout package; in the workspace, the demo's build).",
  },
  {
    flag: '--json',
    kind: 'boolean',
    meaning: 'Print the start line as JSON (url, secret when random, token).',
  },
];

export const signalCommand: CommandDef = {
  name: 'signal',
  summary: 'run a signaling server (prints a ready token when started without --secret)',
  synopsis: 'handout signal [--port 8080] [--host 127.0.0.1] [--secret s] [--demo | --static dir] [--json]',
  description:
    'Starts a signaling server: peers join meshes with tokens signed by its secret, see each other (capabilities, ' +
    'state, presence) and exchange WebRTC signals through it; task data never passes through it. Binds ' +
    '`--host` (default 127.0.0.1: exposing it is a deliberate choice) on `--port` (default 8080). Without ' +
    '`--secret` (or HANDOUT_SECRET) it makes a random secret and prints a token for the mesh `default` with ' +
    'every role, valid 24 hours, and the command lines to start a peer and run a DAG. `--demo` serves the demo ' +
    'pages (shipped in the `handout` package; in the workspace, the build of the demo) and prints the URLs of the ' +
    'contribute page and the dashboard, token ' +
    'included, so opening one joins the mesh; `--static <dir>` serves any directory. `GET /health` and ' +
    '`GET /metrics` report on it. Runs until SIGINT or SIGTERM, then closes and exits 0.',
  load: () => import('./signal-action.js'),
};
