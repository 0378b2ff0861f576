/**
 * `handout peer`: joins a mesh and contributes this machine's cores until SIGINT/SIGTERM, then leaves cleanly:
 * it stops taking work, lets running functions finish for a grace period, and hands back the rest so the
 * coordinator re-runs it elsewhere. With `--coordinator` it also coordinates runs submitted to the mesh.
 */
import {
  createMeshPeer,
  describeLinkPath,
  type MeshPeer,
  readTokenClaims,
  TRUST_CODE_WARNING,
} from '@handout/peer-runtime/peer';
import { SignalingError } from '@handout/peer-runtime/signaling';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import { createProcessLogger, logOptionsFromFlags } from '../logging.js';
import {
  booleanFlag,
  iceServersFlag,
  listFlag,
  numberFlag,
  parseFlagsOrHelp,
  parseSignalUrls,
  requireValue,
} from './mesh-flags.js';
import { readPeerToken } from './peer-token.js';
import type { CommandContext, CommandDef } from './types.js';

export async function run(ctx: CommandContext, command: CommandDef): Promise<ExitCode> {
  const flags = parseFlagsOrHelp(command, ctx);
  if (flags === undefined) return EXIT.ok;
  const logOptions = logOptionsFromFlags(flags, booleanFlag(flags, '--json'));
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

  const logger = createProcessLogger(ctx.stdout, logOptions);
  // The peer's own milestones: `event` (and `at`, epoch ms) name them for programs reading the JSON lines; at a
  // terminal the text says it all.
  const log = (event: string, fields: Record<string, unknown>, text: string): void => {
    logger.info(text, logOptions.format === 'json' ? { event, at: Date.now(), ...fields } : {});
  };

  // Listen for SIGINT/SIGTERM before joining: work may be assigned the moment the server lists this peer, and a
  // stop request during start-up must still leave cleanly (after the join completes) rather than kill the process.
  let offStop: () => void = () => {};
  const stopRequested = new Promise<string>((resolve) => {
    const onSignal = (name: string) => () => {
      offStop();
      resolve(name);
    };
    const onTerm = onSignal('SIGTERM');
    const offInterrupt = ctx.onInterrupt(onSignal('SIGINT'));
    process.on('SIGTERM', onTerm);
    offStop = () => {
      process.off('SIGTERM', onTerm);
      offInterrupt();
    };
  });

  if (trustCode) ctx.stderr.write(`\nhandout peer: WARNING: ${TRUST_CODE_WARNING}\n\n`);
  let peer: MeshPeer;
  try {
    peer = await createMeshPeer({
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
      ...(receiptTtl !== undefined && { receiptTtlMs: receiptTtl * 1000 }),
      drainGraceMs: graceSeconds * 1000,
      ...(iceServers !== undefined && { iceServers }),
      ...(connectTimeout !== undefined && { transport: { connectTimeoutMs: connectTimeout * 1000 } }),
      logger,
    });
  } catch (error) {
    offStop();
    if (error instanceof SignalingError)
      throw new CliInputError(`cannot join the mesh at ${signal.join(' or ')}: ${error.message}`);
    if (error instanceof TypeError && 'field' in error)
      throw new CliInputError(`--${String((error as { field: string }).field)}: ${error.message}`);
    throw error;
  }

  const caps = peer.capabilities;
  log(
    'joined',
    {
      peerId: peer.peerId,
      mesh: peer.mesh,
      roles: peer.roles,
      capabilities: caps,
      cacheDir: peer.cacheDir ?? null,
      peers: peer.peers().map((p) => p.peerId),
    },
    `joined mesh '${peer.mesh}' as '${peer.peerId}'${caps.label ? ` ("${caps.label}")` : ''} (${peer.roles.join(', ')}; ${caps.cores} slots, speed ${caps.speed}, ` +
      `cost ${caps.costRate}${caps.tags.length > 0 ? `, tags ${caps.tags.join(',')}` : ''}) with ${peer.peers().length} other peer(s)`,
  );
  peer.signaling.on('peer:joined', (p) =>
    log(
      'peer:joined',
      { peerId: p.peerId, roles: p.roles },
      `peer '${p.peerId}' joined (${p.roles.join(', ')})`,
    ),
  );
  peer.signaling.on('peer:left', (m) =>
    log('peer:left', { peerId: m.peerId, reason: m.reason }, `peer '${m.peerId}' left (${m.reason})`),
  );
  peer.coordinator?.on('peer:lost', ({ peerId, reason }) =>
    log('peer:lost', { peerId, reason }, `coordinator: peer '${peerId}' lost: ${reason}`),
  );
  peer.coordinator?.on('peer:quarantined', ({ peerId, reason }) =>
    log('peer:quarantined', { peerId, reason }, `coordinator: peer '${peerId}' quarantined: ${reason}`),
  );
  peer.coordinator?.on('verify:disagreed', ({ runId, functionId, peerId, digest, accepted }) =>
    log(
      'verify:disagreed',
      { runId, functionId, peerId, digest, accepted },
      `coordinator: peer '${peerId}' disagreed on function '${functionId}' (digest ${digest.slice(0, 12)}, quorum ${accepted.slice(0, 12)})`,
    ),
  );
  peer.coordinator?.on('task:waiting', ({ functionId, unmet }) =>
    log(
      'task:waiting',
      { functionId, unmet },
      `coordinator: function '${functionId}' waits for a peer with ${unmet}`,
    ),
  );

  // Fresh TURN credentials from the signaling server (every half TTL): logged by expiry, never the password.
  peer.signaling.on('ice:renewed', (servers) => {
    const expires = servers.flatMap((s) => {
      const expiry = Number(s.username?.split(':')[0]);
      return Number.isSafeInteger(expiry) ? [expiry] : [];
    });
    log(
      'ice:renewed',
      { expires },
      `fresh TURN credentials${expires.length > 0 ? ` (valid until ${new Date(Math.min(...expires) * 1000).toISOString()})` : ''}`,
    );
  });

  // How each link connected (host, srflx, relay) and why one dropped: the first things to read when peers behind
  // NATs do not reach each other (docs/deploy.md).
  peer.transport.on('peer:connected', ({ peerId, path }) =>
    log(
      'link:open',
      { peerId, path: path ?? null },
      `link to '${peerId}' open (${path ? describeLinkPath(path) : 'path unknown'})`,
    ),
  );
  peer.transport.on('peer:disconnected', ({ peerId, reason, error }) =>
    log(
      'link:closed',
      { peerId, reason, ...(error && { error: error.message }) },
      `link to '${peerId}' closed (${reason}${error ? `: ${error.message}` : ''})`,
    ),
  );
  // prom-client loads only when metrics are asked for.
  let metrics: { url: string; close(): Promise<void> } | undefined;
  if (metricsPort !== undefined) {
    const { peerRegistry, serveMetrics } = await import('../metrics.js');
    try {
      metrics = await serveMetrics(peerRegistry(peer), metricsHost, metricsPort);
    } catch (error) {
      await peer.close({ graceMs: 0 });
      offStop();
      const code = (error as { code?: string }).code;
      throw new CliInputError(
        `--metrics-port ${metricsPort}: cannot listen on ${metricsHost} (${code ?? (error as Error).message})`,
      );
    }
    log('metrics', { url: metrics.url }, `metrics at ${metrics.url}`);
  }

  const lost = new Promise<string>((resolve) => {
    peer.signaling.on('close', (error) => resolve(error ? error.message : 'the signaling connection closed'));
  });
  const stop = await Promise.race([stopRequested, lost.then((why) => `lost:${why}`)]);
  offStop();
  if (stop.startsWith('lost:')) {
    log('left', { reason: stop.slice(5) }, `lost the mesh: ${stop.slice(5)}`);
    await metrics?.close();
    await peer.close({ graceMs: 0 });
    return EXIT.functionFailed;
  }
  const assigned = peer.agent?.assigned ?? 0;
  log(
    'leaving',
    { signal: stop, assigned },
    `${stop}: leaving (${assigned} function(s) to finish or hand back)`,
  );
  await peer.close();
  await metrics?.close();
  log('left', { reason: stop }, 'left the mesh');
  return EXIT.ok;
}
