/**
 * `handout signal`: runs a signaling server until SIGINT/SIGTERM. Without `--secret` it makes a random one and
 * prints two ready tokens for the mesh `default` (one for members, one for a coordinator, which must be bound to
 * its peer id), so a first try needs no set-up.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type HmacKey, KID_PATTERN, parseTtl, ROLES } from '@handout/peer-runtime/signaling';
import {
  checkIceUrls,
  createSignalingServer,
  DEFAULT_TURN_TTL_SECONDS,
  MIN_TURN_TTL_SECONDS,
  type SignalingServer,
  type SignalingServerOptions,
  type TurnOptions,
} from '@handout/signaling-server';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import { createProcessLogger, logOptionsFromFlags } from '../logging.js';
import { booleanFlag, listFlag, numberFlag, type ParsedFlags, parseFlagsOrHelp } from './mesh-flags.js';
import type { CommandContext, CommandDef } from './types.js';

export async function run(ctx: CommandContext, command: CommandDef): Promise<ExitCode> {
  const flags = parseFlagsOrHelp(command, ctx);
  if (flags === undefined) return EXIT.ok;
  const port = numberFlag(flags, '--port', { integer: true, min: 0, max: 65535 }) ?? 8080;
  const host = flags.values.get('--host') ?? '127.0.0.1';
  const given = flags.values.get('--secret');
  const json = booleanFlag(flags, '--json');
  const logger = createProcessLogger(ctx.stdout, logOptionsFromFlags(flags, json));
  const demo = booleanFlag(flags, '--demo');
  if (demo && flags.values.has('--static'))
    throw new CliInputError('--demo and --static both choose what to serve: give one of them');
  const staticDir = demo ? demoDist() : flags.values.get('--static');
  if (flags.values.has('--redis') && given === undefined)
    throw new CliInputError(
      '--redis needs --secret (or HANDOUT_SECRET): every process of the deployment must accept the same tokens',
    );

  let server: SignalingServer;
  try {
    server = await createSignalingServer({
      port,
      host,
      ...(given !== undefined && { secret: given }),
      ...(staticDir !== undefined && { staticDir }),
      ...serverOptions(flags),
      logger,
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new CliInputError(`--port ${port}: the port is in use on ${host}`);
    if (code === 'EADDRNOTAVAIL')
      throw new CliInputError(`--host ${host}: no such interface on this machine`);
    if (code === 'EACCES')
      throw new CliInputError(`--port ${port}: permission denied (ports below 1024 need root)`);
    if (flags.values.has('--redis') && /cannot reach Redis/.test((error as Error).message))
      throw new CliInputError(`${flags.origin('--redis')}: ${(error as Error).message}`);
    throw error;
  }

  const ttlSeconds = 86_400;
  const token =
    given === undefined
      ? server.issueToken({ mesh: 'default', roles: ['contribute', 'submit'], ttlSeconds })
      : undefined;
  const coordinatorToken =
    given === undefined
      ? server.issueToken({ mesh: 'default', roles: ROLES, sub: 'coordinator', ttlSeconds })
      : undefined;
  if (json) {
    const tokens = token && { secret: server.secret, mesh: 'default', token, coordinatorToken };
    ctx.stdout.write(
      `${JSON.stringify({ event: 'listening', url: server.url, kid: server.kid, ...tokens, ...(demo && { demo: staticDir }) })}\n`,
    );
  } else {
    ctx.stdout.write(`${startLines(server, token, coordinatorToken, demo).join('\n')}\n`);
  }

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      offInterrupt();
      resolve();
    };
    const offInterrupt = ctx.onInterrupt(stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return EXIT.ok;
}

function startLines(
  server: SignalingServer,
  token: string | undefined,
  coordinatorToken: string | undefined,
  demo: boolean,
): string[] {
  const lines = [`handout signal: listening on ${server.url} (key id ${server.kid})`];
  if (token && coordinatorToken) {
    lines.push(
      `secret (random, this run only): ${server.secret}`,
      'tokens for mesh "default", valid 24 h:',
      `  members (contribute, submit): ${token}`,
      `  coordinator (peer id 'coordinator', every role): ${coordinatorToken}`,
      '',
      `start a coordinator: HANDOUT_TOKEN=<coordinator token> handout peer --coordinator --signal ${server.url}`,
      `start a peer:        HANDOUT_TOKEN=<members token> handout peer --signal ${server.url}`,
      `run a DAG:           handout run <file> --signal ${server.url} --token <members token>`,
    );
  }
  if (demo) {
    const query = (t: string | undefined) =>
      t
        ? `?signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(t)}`
        : `?signal=${encodeURIComponent(server.url)}`;
    lines.push(
      '',
      `contribute this browser: ${server.url}/contribute.html${query(token)}`,
      `dashboard (coordinates): ${server.url}/dashboard.html${query(coordinatorToken)}`,
    );
  }
  return lines;
}

/** The server options set by flags (keys, identity provider, id reservation, per-address limits). */
function serverOptions(flags: ParsedFlags): Partial<SignalingServerOptions> {
  const out: { -readonly [K in keyof SignalingServerOptions]?: SignalingServerOptions[K] } = {};
  const keys = listFlag(flags, '--keys');
  if (keys) out.keys = keys.map((k) => parseKey(k, flags.origin('--keys')));
  for (const [flag, key] of [
    ['--jwks-url', 'jwksUrl'],
    ['--issuer', 'issuer'],
    ['--audience', 'audience'],
  ] as const) {
    const v = flags.values.get(flag);
    if (v !== undefined) out[key] = v;
  }
  const jwks = out.jwksUrl;
  if (jwks !== undefined && !URL.canParse(jwks))
    throw new CliInputError(`--jwks-url: '${jwks}' is not a URL`);
  const reserve = flags.values.get('--id-reserve');
  if (reserve !== undefined) {
    try {
      out.idReserveMs = parseTtl(reserve) * 1000;
    } catch (error) {
      throw new CliInputError(`--id-reserve: ${(error as Error).message}`);
    }
  }
  const max = numberFlag(flags, '--max-connections-per-address', { integer: true, min: 0 });
  if (max !== undefined) out.maxConnectionsPerAddress = max;
  const rate = flags.values.get('--connection-rate');
  if (rate !== undefined) {
    const m = /^(\d+)\/(\d+(?:\.\d+)?)$/.exec(rate.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) <= 0)
      throw new CliInputError(`--connection-rate must be burst/per-second, e.g. 32/4, got '${rate}'`);
    out.connectionRate = { burst: Number(m[1]), perSecond: Number(m[2]) };
  }
  if (booleanFlag(flags, '--trust-proxy')) out.trustProxy = true;
  const redis = flags.values.get('--redis');
  if (redis !== undefined) {
    if (!URL.canParse(redis) || !/^rediss?:$/.test(new URL(redis).protocol))
      throw new CliInputError(`${flags.origin('--redis')}: '${redis}' is not a redis:// or rediss:// URL`);
    out.redis = redis;
  }
  const prefix = flags.values.get('--redis-prefix');
  if (prefix !== undefined) out.redisPrefix = prefix;
  Object.assign(out, iceOptions(flags));
  return out;
}

/** `--stun-url`, `--turn-url`, `--turn-secret`, `--turn-ttl`: the ICE servers every welcome carries. */
function iceOptions(flags: ParsedFlags): Pick<SignalingServerOptions, 'stunUrls' | 'turn'> {
  const out: { stunUrls?: string[]; turn?: TurnOptions } = {};
  const stun = listFlag(flags, '--stun-url');
  if (stun) out.stunUrls = checkedUrls(stun, 'stun', '--stun-url');
  const turnUrls = listFlag(flags, '--turn-url');
  const secret = flags.values.get('--turn-secret');
  const ttl = flags.values.get('--turn-ttl');
  if (turnUrls && secret === undefined)
    throw new CliInputError(
      "--turn-url needs --turn-secret (or HANDOUT_TURN_SECRET): coturn's static-auth-secret, to make each peer's credentials",
    );
  if (secret !== undefined && !turnUrls)
    throw new CliInputError(
      `${flags.origin('--turn-secret')} needs --turn-url turn:host:3478 (which TURN servers)`,
    );
  if (ttl !== undefined && !turnUrls)
    throw new CliInputError('--turn-ttl needs --turn-url and --turn-secret');
  if (!turnUrls || secret === undefined) return out;
  if (secret.trim() === '') throw new CliInputError(`${flags.origin('--turn-secret')} must not be empty`);
  let ttlSeconds = DEFAULT_TURN_TTL_SECONDS;
  if (ttl !== undefined) {
    try {
      ttlSeconds = parseTtl(ttl);
    } catch (error) {
      throw new CliInputError(`--turn-ttl: ${(error as Error).message}`);
    }
    if (ttlSeconds < MIN_TURN_TTL_SECONDS)
      throw new CliInputError(`--turn-ttl must be at least ${MIN_TURN_TTL_SECONDS} s, got '${ttl}'`);
  }
  out.turn = { urls: checkedUrls(turnUrls, 'turn', '--turn-url'), secret, ttlSeconds };
  return out;
}

function checkedUrls(urls: string[], kind: 'stun' | 'turn', flag: string): string[] {
  try {
    checkIceUrls(urls, kind, flag);
  } catch (error) {
    throw new CliInputError((error as Error).message);
  }
  return urls;
}

function parseKey(item: string, origin: string): HmacKey {
  const eq = item.indexOf('=');
  const kid = item.slice(0, eq);
  if (eq <= 0 || eq === item.length - 1 || !KID_PATTERN.test(kid))
    throw new CliInputError(
      `${origin}: '${item.split('=')[0]}=…' must be kid=secret with a kid matching ${KID_PATTERN}`,
    );
  return { kid, secret: item.slice(eq + 1) };
}

/**
 * The demo's built pages. A published `handout` package carries them in its own `demo/` folder (its build copies
 * them there); in this workspace they are the build of the private @handout/demo package, found by resolving that
 * package (a devDependency of this one) rather than by a path into the repository.
 */
function demoDist(): string {
  const packaged = fileURLToPath(new URL('../../demo', import.meta.url));
  if (existsSync(`${packaged}/contribute.html`)) return packaged;
  let workspace: string | undefined;
  try {
    workspace = join(dirname(createRequire(import.meta.url).resolve('@handout/demo/package.json')), 'dist');
  } catch {
    // not in the workspace: only the packaged pages could serve, and they are missing (said below)
  }
  if (workspace && existsSync(`${workspace}/contribute.html`)) return workspace;
  throw new CliInputError(
    workspace
      ? `--demo: no demo build at ${workspace}; build it first with 'pnpm --filter @handout/demo build'`
      : `--demo: this handout package has no demo pages (expected at ${packaged})`,
  );
}
