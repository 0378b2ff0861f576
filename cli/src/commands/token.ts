/** `handout token`: prints a signed token (a JWT, HS256) granting roles in one mesh until it expires. */
import type { CommandDef, FlagDef } from './types.js';

export const TOKEN_FLAGS: readonly FlagDef[] = [
  { flag: '--secret', kind: 'value', env: 'HANDOUT_SECRET', meaning: "The signaling server's HMAC secret." },
  { flag: '--mesh', kind: 'value', meaning: 'The mesh the token admits to (default: default).' },
  {
    flag: '--roles',
    kind: 'value',
    meaning: 'Comma-separated roles: contribute, submit, coordinate (default: contribute,submit).',
  },
  { flag: '--ttl', kind: 'value', meaning: 'Lifetime: 90s, 15m, 1h, 7d or seconds (default 1h).' },
  {
    flag: '--peer',
    kind: 'value',
    meaning: 'Bind the token to one peer id (default: any id; required with coordinate).',
  },
  {
    flag: '--trusted',
    kind: 'boolean',
    meaning: "Mark the token as one of the mesh owner's own machines (default: not).",
  },
  {
    flag: '--kid',
    kind: 'value',
    meaning: "The key id in the token header (default: derived from the secret, as the server's).",
  },
  { flag: '--print-kid', kind: 'boolean', meaning: 'Print the key id of the secret (or --kid) and exit.' },
];

export const tokenCommand: CommandDef = {
  name: 'token',
  summary: 'print a signed token for a mesh (roles, expiry)',
  synopsis:
    'handout token --secret <s> [--mesh m] [--roles contribute,submit,coordinate] [--ttl 1h] [--peer id] ' +
    '[--trusted] [--kid k] [--print-kid]',
  description:
    "Signs a token, a standard JWT (HS256), with the signaling server's secret (`--secret`, or HANDOUT_SECRET) and " +
    'prints it on stdout. The token admits a peer to one mesh (`--mesh`, default `default`) with the given roles ' +
    '(`--roles`: `contribute` runs functions, `submit` submits DAGs, `coordinate` coordinates runs; default ' +
    'contribute,submit) until it expires (`--ttl`, default 1h; e.g. 90s, 15m, 7d). `--peer <id>` binds it to one ' +
    'peer id; a token granting `coordinate` must be bound. `--trusted` marks it as one of your own machines ' +
    '(every member sees the mark). The header names the key by `--kid` (default: derived from the secret, which ' +
    'is what the server expects for its `--secret`); `--print-kid` prints that kid, for `handout signal --keys` ' +
    'when rotating. Exits 2 naming the flag on bad input.',
  flags: TOKEN_FLAGS,
  load: () => import('./token-action.js'),
};
