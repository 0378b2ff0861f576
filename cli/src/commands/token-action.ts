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
import { booleanFlag, listFlag, parseFlagsOrHelp, requireValue } from './mesh-flags.js';
import type { CommandContext, CommandDef } from './types.js';

export async function run(ctx: CommandContext, command: CommandDef): Promise<ExitCode> {
  const flags = parseFlagsOrHelp(command, ctx);
  if (flags === undefined) return EXIT.ok;
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
