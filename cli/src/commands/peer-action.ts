/**
 * `handout peer`: joins a mesh and contributes this machine's cores until SIGINT/SIGTERM, then leaves cleanly:
 * it stops taking work, lets running functions finish for a grace period, and hands back the rest so the
 * coordinator re-runs it elsewhere. With `--coordinator` it also coordinates runs submitted to the mesh.
 */
import { createMeshPeer, type MeshPeer, TRUST_CODE_WARNING } from '@handout/peer-runtime/peer';
import { SignalingError } from '@handout/peer-runtime/signaling';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import { createProcessLogger, logOptionsFromFlags } from '../logging.js';
import { booleanFlag, parseFlagsOrHelp } from './mesh-flags.js';
import { logPeerEvents } from './peer-events.js';
import { peerSettings } from './peer-settings.js';
import type { CommandContext, CommandDef } from './types.js';

export async function run(ctx: CommandContext, command: CommandDef): Promise<ExitCode> {
  const flags = parseFlagsOrHelp(command, ctx);
  if (flags === undefined) return EXIT.ok;
  const logOptions = logOptionsFromFlags(flags, booleanFlag(flags, '--json'));
  const { signal, trustCode, metricsPort, metricsHost, peerOptions } = peerSettings(ctx, flags);
  const logger = createProcessLogger(ctx.stdout, logOptions);
  // The peer's own milestones: `event` (and `at`, epoch ms) name them for programs reading the JSON lines; at a
  // terminal the text says it all.
  const log = (event: string, fields: Record<string, unknown>, text: string): void => {
    logger.info(text, logOptions.format === 'json' ? { event, at: Date.now(), ...fields } : {});
  };

  // Listen for SIGINT/SIGTERM before joining: work may be assigned the moment the server lists this peer, and a
  // stop request during start-up must still leave cleanly (after the join completes) rather than kill the process.
  const { stopRequested, offStop } = stopSignals(ctx);

  if (trustCode) ctx.stderr.write(`\nhandout peer: WARNING: ${TRUST_CODE_WARNING}\n\n`);
  let peer: MeshPeer;
  try {
    peer = await createMeshPeer({ ...peerOptions, logger });
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
  logPeerEvents(peer, log);

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

/** SIGINT (through the context) or SIGTERM, whichever comes first; `offStop` stops listening. */
function stopSignals(ctx: CommandContext): { stopRequested: Promise<string>; offStop: () => void } {
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
  // A signal already given reaches `offStop` through the closure; callers call it once they stop waiting.
  return { stopRequested, offStop: () => offStop() };
}
