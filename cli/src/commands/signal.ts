/**
 * `handout signal`: runs a signaling server until SIGINT/SIGTERM. Without `--secret` it makes a random one and
 * prints two ready tokens for the mesh `default` (one for members, one for a coordinator, which must be bound to
 * its peer id), so a first try needs no set-up.
 */
// The defaults alone: the package's root would load socket.io.
import { ADDRESS_LIMIT_DEFAULTS } from '@handout/signaling-server/address-limits';
import { LOG_FLAGS } from './log-flags.js';
import type { CommandDef, FlagDef } from './types.js';

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
  {
    flag: '--keys',
    kind: 'value',
    env: 'HANDOUT_KEYS',
    meaning: 'More HS256 keys accepted, kid=secret,... (rotation; default none).',
  },
  {
    flag: '--jwks-url',
    kind: 'value',
    meaning: "An identity provider's JWKS: EdDSA/RS256/ES256 tokens (default none).",
  },
  { flag: '--issuer', kind: 'value', meaning: 'Required iss claim (default: not checked).' },
  { flag: '--audience', kind: 'value', meaning: 'Required aud claim (default: not checked).' },
  {
    flag: '--id-reserve',
    kind: 'value',
    meaning: 'How long a left peer id stays bound to its token subject (default 15m).',
  },
  {
    flag: '--max-connections-per-address',
    kind: 'value',
    meaning: `Sockets open at once per client address (default ${ADDRESS_LIMIT_DEFAULTS.maxConnectionsPerAddress}; 0: no cap).`,
  },
  {
    flag: '--connection-rate',
    kind: 'value',
    meaning: `Connection attempts per address, burst/per-second (default ${ADDRESS_LIMIT_DEFAULTS.connectionRate.burst}/${ADDRESS_LIMIT_DEFAULTS.connectionRate.perSecond}).`,
  },
  {
    flag: '--trust-proxy',
    kind: 'boolean',
    meaning: 'Take the client address from X-Forwarded-For (behind a reverse proxy).',
  },
  {
    flag: '--redis',
    kind: 'value',
    env: 'HANDOUT_REDIS',
    meaning:
      'Redis URL (redis://host:6379): several signaling processes with the same --secret serve the same meshes (default: none, one process).',
  },
  {
    flag: '--redis-prefix',
    kind: 'value',
    meaning:
      'Prefix of the Redis keys and channels, so deployments can share a Redis (default handout:signaling:).',
  },
  {
    flag: '--stun-url',
    kind: 'value',
    repeatable: true,
    meaning: 'STUN server every peer is told of (stun:host:3478); repeat or comma-separate (default none).',
  },
  {
    flag: '--turn-url',
    kind: 'value',
    repeatable: true,
    meaning:
      'TURN server sharing --turn-secret (turn:host:3478, turn:host:3478?transport=tcp, turns:host:5349); repeatable.',
  },
  {
    flag: '--turn-secret',
    kind: 'value',
    env: 'HANDOUT_TURN_SECRET',
    meaning:
      "coturn's static-auth-secret: each peer gets its own short-lived TURN credentials in its welcome.",
  },
  {
    flag: '--turn-ttl',
    kind: 'value',
    meaning:
      'How long each TURN credential is valid (e.g. 30m, 12h; default 24h, at least 10s); connected peers get fresh ones every half of it.',
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
    meaning:
      'Print the start line as JSON (url, secret when random, token) and log JSON (--log-format json).',
  },
  ...LOG_FLAGS,
];

export const signalCommand: CommandDef = {
  name: 'signal',
  summary: 'run a signaling server (prints a ready token when started without --secret)',
  synopsis:
    'handout signal [--port 8080] [--host 127.0.0.1] [--secret s] [--keys kid=s,...] [--jwks-url u] ' +
    '[--id-reserve 15m] [--max-connections-per-address 64] [--connection-rate 32/4] [--trust-proxy] ' +
    '[--redis redis://host:6379 [--redis-prefix p]] [--stun-url stun:h:3478] ' +
    '[--turn-url turn:h:3478 ... --turn-secret s [--turn-ttl 24h]] [--demo | --static dir] [--json] ' +
    '[--log-level l] [--log-format json|pretty]',
  description:
    'Starts a signaling server: peers join meshes with tokens signed by its secret, see each other (capabilities, ' +
    'state, presence) and exchange WebRTC signals through it; task data never passes through it. Binds ' +
    '`--host` (default 127.0.0.1: exposing it is a deliberate choice) on `--port` (default 8080). Tokens are ' +
    'JWTs: HS256 with `--secret` (or HANDOUT_SECRET) and, while rotating, the old keys in `--keys kid=secret`; ' +
    'EdDSA/RS256/ES256 from an identity provider with `--jwks-url`. Without `--secret` it makes a random ' +
    'secret and prints two tokens for the mesh `default`, valid 24 hours: one for members (contribute, submit) ' +
    "and one for a coordinator (bound to the peer id 'coordinator'), with the command lines to use them. " +
    'A peer id that left stays bound to its token subject for `--id-reserve`; each client address may hold ' +
    '`--max-connections-per-address` sockets and open them at `--connection-rate` (burst/per second). ' +
    '`--demo` serves the demo pages (shipped in the `handout` package; in the workspace, the build of the demo) ' +
    'and prints the URLs of the contribute page and ' +
    'the dashboard, tokens included, so opening one joins the mesh; `--static <dir>` serves any directory. ' +
    '`--redis <url>` shares the registry (ids, resume keys, members) through Redis and relays broadcasts and ' +
    'signals between processes (socket.io Redis adapter): run several with the same `--secret` behind one ' +
    'name or give peers the list (`--signal a,b`); per-address limits stay per process. ' +
    'With `--turn-url` (repeatable) and `--turn-secret` (coturn running with `use-auth-secret` and that ' +
    '`static-auth-secret`), every admitted peer gets TURN credentials of its own in its welcome (username ' +
    '`<expiry>:<peer id>`, password base64 HMAC-SHA1, valid `--turn-ttl`, default 24h), renewed at each ' +
    'reconnect and every half TTL while connected: peers behind NATs, browsers included, relay through TURN with nothing else configured. ' +
    '`--stun-url` tells peers of STUN servers. See docs/deploy.md. ' +
    '`GET /health` and `GET /metrics` report on it. It logs on stdout what happens: admissions and departures ' +
    '(info, with mesh, peer and address), refused connections (warn, with the reason and the address), rejected ' +
    'events and failures (`--log-level`, default info; `--log-format pretty` or `json`, one object per line; ' +
    'docs/telemetry.md). Runs until SIGINT or SIGTERM, then closes and exits 0.',
  flags: SIGNAL_FLAGS,
  load: () => import('./signal-action.js'),
};
