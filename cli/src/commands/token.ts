/** `handout token`: prints a signed token (a JWT, HS256) granting roles in one mesh until it expires. */
import {
  KID_PATTERN,
  keyIdOf,
  parseTtl,
  ROLES,
  type Role,
  signToken,
  TokenError,
} from '@handout/peer-runtime/signaling';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import {
  booleanFlag,
  type FlagDef,
  flagsHelp,
  listFlag,
  parseMeshFlags,
  requireValue,
} from './mesh-flags.js';
import type { CommandContext, CommandDef } from './types.js';

const FLAGS: readonly FlagDef[] = [
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
  run,
};

async function run(ctx: CommandContext): Promise<ExitCode> {
  const flags = parseMeshFlags('token', ctx.argv, FLAGS, ctx.env);
  if (flags.help) {
    ctx.stdout.write(flagsHelp(tokenCommand.synopsis, tokenCommand.description, FLAGS));
    return EXIT.ok;
  }
  if (flags.positionals.length > 0)
    throw new CliInputError(`unexpected argument '${flags.positionals[0]}' (handout token takes only flags)`);
  const secret = requireValue(flags, '--secret', 'token');
  const kid = flags.values.get('--kid') ?? keyIdOf(secret);
  if (!KID_PATTERN.test(kid)) throw new CliInputError(`--kid '${kid}' must match ${KID_PATTERN}`);
  if (booleanFlag(flags, '--print-kid')) {
    ctx.stdout.write(`${kid}\n`);
    return EXIT.ok;
  }
  const token = issueToken({
    secret,
    kid,
    mesh: flags.values.get('--mesh') ?? 'default',
    roles: parseRoles(listFlag(flags, '--roles'), flags.origin('--roles')),
    ttl: flags.values.get('--ttl') ?? '1h',
    trusted: booleanFlag(flags, '--trusted'),
    ...(flags.values.has('--peer') && { sub: flags.values.get('--peer')! }),
  });
  ctx.stdout.write(`${token}\n`);
  return EXIT.ok;
}

/** The roles of a token when `--roles` is not given: `coordinate` needs `--peer`, so it is never a default. */
export const DEFAULT_TOKEN_ROLES: readonly Role[] = ['contribute', 'submit'];

export function parseRoles(list: readonly string[] | undefined, origin: string): Role[] {
  if (list === undefined) return [...DEFAULT_TOKEN_ROLES];
  if (list.length === 0) throw new CliInputError(`${origin} needs at least one role (${ROLES.join(', ')})`);
  for (const r of list) {
    if (!(ROLES as readonly string[]).includes(r))
      throw new CliInputError(`${origin}: unknown role '${r}' (known: ${ROLES.join(', ')})`);
  }
  return [...new Set(list as Role[])];
}

/** The token payload field at fault → the flag that set it. */
const FIELD_FLAGS: Record<string, string> = {
  'payload.mesh': '--mesh',
  'payload.roles': '--roles',
  'payload.exp': '--ttl',
  'payload.sub': '--peer',
  'payload.trusted': '--trusted',
};

export interface IssueTokenInput {
  readonly secret: string;
  /** Default: `keyIdOf(secret)`. */
  readonly kid?: string;
  readonly mesh: string;
  readonly roles: readonly Role[];
  /** `1h`, `90s`, or a number of seconds. */
  readonly ttl: string;
  readonly sub?: string;
  readonly trusted?: boolean;
}

/** Signs a token; bad input becomes a CliInputError naming the flag. */
export function issueToken(input: IssueTokenInput): string {
  let ttlSeconds: number;
  try {
    ttlSeconds = parseTtl(input.ttl);
  } catch (error) {
    throw new CliInputError(`--ttl: ${(error as Error).message}`);
  }
  if (ttlSeconds <= 0) throw new CliInputError(`--ttl must be longer than 0 seconds, got '${input.ttl}'`);
  try {
    return signToken(
      {
        mesh: input.mesh,
        roles: input.roles,
        exp: Math.floor(Date.now() / 1000) + ttlSeconds,
        ...(input.sub !== undefined && { sub: input.sub }),
        ...(input.trusted === true && { trusted: true }),
      },
      { kid: input.kid ?? keyIdOf(input.secret), secret: input.secret },
    );
  } catch (error) {
    if (error instanceof TokenError || error instanceof TypeError) {
      const flag = error instanceof TokenError ? FIELD_FLAGS[error.field ?? ''] : undefined;
      const field = flag ? ` (${flag})` : '';
      throw new CliInputError(`cannot make the token${field}: ${error.message}`);
    }
    throw error;
  }
}
