/**
 * `handout peer`'s flags, checked, as createMeshPeer's options: every flag that is wrong or needs another
 * (`--coordinator` for `--wait-timeout`, a token granting what the flags ask) is a CliInputError naming it.
 */
import { type MeshPeerOptions, readTokenClaims } from '@handout/peer-runtime/peer';
import { CliInputError } from '../errors.js';
import {
  booleanFlag,
  iceServersFlag,
  listFlag,
  numberFlag,
  type ParsedFlags,
  parseSignalUrls,
  requireValue,
} from './mesh-flags.js';
import { readPeerToken } from './peer-token.js';
import type { CommandContext } from './types.js';

export interface PeerSettings {
  readonly signal: string[];
  readonly trustCode: boolean;
  readonly metricsPort: number | undefined;
  readonly metricsHost: string;
  /** createMeshPeer's options but the logger (made by the caller from the log flags). */
  readonly peerOptions: Omit<MeshPeerOptions, 'logger'>;
}

export function peerSettings(ctx: CommandContext, flags: ParsedFlags): PeerSettings {
  const signal = parseSignalUrls(requireValue(flags, '--signal', 'peer'), flags.origin('--signal'));
  const { token, origin: tokenOrigin } = readPeerToken(flags, ctx.cwd, ctx.stderr);
  const trustCode = booleanFlag(flags, '--trust-code');
  const allowModules = listFlag(flags, '--allow-module');
  const coordinator = booleanFlag(flags, '--coordinator');
  let claims: ReturnType<typeof readTokenClaims>;
  try {
    claims = readTokenClaims(token);
  } catch (error) {
    throw new CliInputError(`${tokenOrigin}: ${(error as Error).message}`);
  }
  if (!claims.roles.includes('contribute') && !(coordinator && claims.roles.includes('coordinate'))) {
    throw new CliInputError(
      `${tokenOrigin} grants ${claims.roles.join(', ')}: a peer needs 'contribute'` +
        (coordinator ? " or 'coordinate'" : ' (or --coordinator with a token granting coordinate)'),
    );
  }
  if (coordinator && !claims.roles.includes('coordinate'))
    throw new CliInputError(
      `--coordinator needs a token granting 'coordinate' (${tokenOrigin} grants ${claims.roles.join(', ')})`,
    );
  const concurrency = numberFlag(flags, '--concurrency', { integer: true, min: 1, max: 4096 });
  const costRate = numberFlag(flags, '--cost', { min: 0 });
  const memoryMB = numberFlag(flags, '--memory', { min: 0 });
  const speed = numberFlag(flags, '--speed', { min: 0.01 });
  const cacheMaxMb = numberFlag(flags, '--cache-max-mb', { min: 1 });
  const graceSeconds = numberFlag(flags, '--grace', { min: 0 }) ?? 5;
  const waitTimeout = numberFlag(flags, '--wait-timeout', { min: 0.01 });
  const receiptTtl = numberFlag(flags, '--receipt-ttl', { min: 1 });
  if (waitTimeout !== undefined && !coordinator)
    throw new CliInputError('--wait-timeout needs --coordinator');
  const iceServers = iceServersFlag(flags);
  const connectTimeout = numberFlag(flags, '--connect-timeout', { min: 0.1 });
  const believeCapabilities = booleanFlag(flags, '--believe-capabilities');
  if (believeCapabilities && !coordinator)
    throw new CliInputError('--believe-capabilities needs --coordinator');
  const metricsPort = numberFlag(flags, '--metrics-port', { integer: true, min: 0, max: 65535 });
  const metricsHost = flags.values.get('--metrics-host') ?? '127.0.0.1';
  if (flags.values.has('--metrics-host') && metricsPort === undefined)
    throw new CliInputError('--metrics-host needs --metrics-port');
  const tags = listFlag(flags, '--tags');
  const label = flags.values.get('--label');
  const cacheDir = flags.values.get('--cache-dir');

  const peerOptions: Omit<MeshPeerOptions, 'logger'> = {
    signal,
    token,
    coordinator:
      coordinator && (waitTimeout !== undefined || believeCapabilities)
        ? {
            ...(waitTimeout !== undefined && { unsatisfiableTimeoutMs: waitTimeout * 1000 }),
            ...(believeCapabilities && { claims: false as const }),
          }
        : coordinator,
    ...(concurrency !== undefined && { concurrency }),
    ...(costRate !== undefined && { costRate }),
    ...(memoryMB !== undefined && { memoryMB }),
    ...(speed !== undefined && { speed }),
    ...(tags !== undefined && { tags }),
    ...(label !== undefined && { label }),
    ...(trustCode && { trustCode }),
    ...(allowModules !== undefined && { allowModules }),
    ...(cacheDir !== undefined && { cacheDir }),
    ...(cacheMaxMb !== undefined && { cacheMaxBytes: cacheMaxMb * 1024 * 1024 }),
    drainGraceMs: graceSeconds * 1000,
    ...(receiptTtl !== undefined && { receiptTtlMs: receiptTtl * 1000 }),
    ...(iceServers !== undefined && { iceServers }),
    ...(connectTimeout !== undefined && { transport: { connectTimeoutMs: connectTimeout * 1000 } }),
  };
  return { signal, trustCode, metricsPort, metricsHost, peerOptions };
}
