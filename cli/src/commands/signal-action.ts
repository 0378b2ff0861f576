/**
 * `handout signal`: runs a signaling server until SIGINT/SIGTERM. Without `--secret` it makes a random one and
 * prints a ready token for the mesh `default` with every role, so a first try needs no set-up.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROLES } from '@handout/peer-runtime/signaling';
import { createSignalingServer, type SignalingServer } from '@handout/signaling-server';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import { booleanFlag, numberFlag, parseFlagsOrHelp } from './mesh-flags.js';
import { SIGNAL_FLAGS, signalCommand } from './signal.js';
import type { CommandContext } from './types.js';

export async function run(ctx: CommandContext): Promise<ExitCode> {
  const flags = parseFlagsOrHelp(signalCommand, SIGNAL_FLAGS, ctx);
  if (flags === undefined) return EXIT.ok;
  const port = numberFlag(flags, '--port', { integer: true, min: 0, max: 65535 }) ?? 8080;
  const host = flags.values.get('--host') ?? '127.0.0.1';
  const given = flags.values.get('--secret');
  const json = booleanFlag(flags, '--json');
  const demo = booleanFlag(flags, '--demo');
  if (demo && flags.values.has('--static'))
    throw new CliInputError('--demo and --static both choose what to serve: give one of them');
  const staticDir = demo ? demoDist() : flags.values.get('--static');

  let server: SignalingServer;
  try {
    server = await createSignalingServer({
      port,
      host,
      ...(given !== undefined && { secret: given }),
      ...(staticDir !== undefined && { staticDir }),
    });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'EADDRINUSE') throw new CliInputError(`--port ${port}: the port is in use on ${host}`);
    if (code === 'EADDRNOTAVAIL')
      throw new CliInputError(`--host ${host}: no such interface on this machine`);
    if (code === 'EACCES')
      throw new CliInputError(`--port ${port}: permission denied (ports below 1024 need root)`);
    throw error;
  }

  const token =
    given === undefined
      ? server.issueToken({ mesh: 'default', roles: ROLES, ttlSeconds: 86_400 })
      : undefined;
  if (json) {
    ctx.stdout.write(
      `${JSON.stringify({ event: 'listening', url: server.url, ...(token && { secret: server.secret, mesh: 'default', token }), ...(demo && { demo: staticDir }) })}\n`,
    );
  } else {
    const lines = [`handout signal: listening on ${server.url}`];
    if (token) {
      lines.push(
        `secret (random, this run only): ${server.secret}`,
        'token for mesh "default", every role, valid 24 h:',
        `  ${token}`,
        '',
        `start a peer:  handout peer --signal ${server.url} --token <token>`,
        `run a DAG:     handout run <file> --signal ${server.url} --token <token>`,
      );
    }
    if (demo) {
      const query = token
        ? `?signal=${encodeURIComponent(server.url)}&token=${encodeURIComponent(token)}`
        : `?signal=${encodeURIComponent(server.url)}`;
      lines.push(
        '',
        `contribute this browser: ${server.url}/contribute.html${query}`,
        `dashboard:               ${server.url}/dashboard.html${query}`,
      );
    }
    ctx.stdout.write(`${lines.join('\n')}\n`);
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
