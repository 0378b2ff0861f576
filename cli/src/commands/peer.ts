/**
 * `handout peer`: joins a mesh and contributes this machine's cores until SIGINT/SIGTERM, then leaves cleanly:
 * it stops taking work, lets running functions finish for a grace period, and hands back the rest so the
 * coordinator re-runs it elsewhere. With `--coordinator` it also coordinates runs submitted to the mesh.
 */
import { createMeshPeer, type MeshPeer, readTokenClaims } from '@handout/peer-runtime/peer';
import { SignalingError } from '@handout/peer-runtime/signaling';
import { CliInputError, EXIT, type ExitCode } from '../errors.js';
import {
  booleanFlag,
  type FlagDef,
  flagsHelp,
  listFlag,
  numberFlag,
  parseMeshFlags,
  parseSignalUrls,
  requireValue,
} from './mesh-flags.js';
import type { CommandContext, CommandDef } from './types.js';

const FLAGS: readonly FlagDef[] = [
  {
    flag: '--signal',
    kind: 'value',
    env: 'HANDOUT_SIGNAL',
    meaning: 'URL of the signaling server, or several (a,b: processes sharing Redis, tried in turn).',
  },
  {
    flag: '--token',
    kind: 'value',
    env: 'HANDOUT_TOKEN',
    meaning: 'Token admitting this peer (role contribute).',
  },
  {
    flag: '--concurrency',
    kind: 'value',
    env: 'HANDOUT_CONCURRENCY',
    meaning: 'Worker slots (default: every core).',
  },
  {
    flag: '--tags',
    kind: 'value',
    env: 'HANDOUT_TAGS',
    meaning: 'Comma-separated tags functions can ask for.',
  },
  { flag: '--cost', kind: 'value', env: 'HANDOUT_COST', meaning: 'Price of one core-second (default 0).' },
  { flag: '--memory', kind: 'value', meaning: 'Memory offered in MiB (default: free memory).' },
  { flag: '--speed', kind: 'value', meaning: 'Speed score to advertise (default: measured at start).' },
  { flag: '--coordinator', kind: 'boolean', meaning: 'Also coordinate runs (token role coordinate).' },
  {
    flag: '--wait-timeout',
    kind: 'value',
    meaning: 'Coordinator: seconds a function may wait for a peer meeting its needs (default 30).',
  },
  { flag: '--cache-dir', kind: 'value', env: 'HANDOUT_CACHE_DIR', meaning: 'Result cache directory.' },
  { flag: '--cache-max-mb', kind: 'value', meaning: 'Result cache bound in MiB (default 1024).' },
  { flag: '--grace', kind: 'value', meaning: 'Seconds running functions may finish on exit (default 5).' },
  { flag: '--json', kind: 'boolean', meaning: 'Log one JSON object per line on stdout.' },
];

export const peerCommand: CommandDef = {
  name: 'peer',
  summary: 'join a mesh and contribute this machine until Ctrl-C',
  synopsis:
    'handout peer --signal <url> --token <t> [--concurrency N] [--tags gpu,eu] [--cost 0.5] [--coordinator] [--cache-dir d] [--json]',
  description:
    'Joins the mesh of the token through the signaling server (`--signal`, `--token`, or HANDOUT_SIGNAL / ' +
    'HANDOUT_TOKEN) and runs the functions coordinators assign to it on a pool of worker threads, until SIGINT ' +
    'or SIGTERM. It advertises its cores (`--concurrency`, default all), memory (`--memory` MiB), tags (`--tags`), ' +
    'price (`--cost`, per core-second) and a speed score measured by a short calibration run at start ' +
    '(`--speed` to set it). Results are kept in a disk cache (`--cache-dir`, default ' +
    '~/.cache/handout/peers/<peer id>; bounded by `--cache-max-mb`, default 1024) and served to other peers, so a ' +
    'rerun finds them. `--coordinator` also coordinates runs (the token must grant `coordinate`); a function no ' +
    'peer can satisfy then fails after `--wait-timeout` seconds (default 30) naming the unmet need. On SIGINT or ' +
    'SIGTERM it stops taking work, lets running functions finish for `--grace` seconds (default 5), hands back ' +
    'the rest, leaves and exits 0; a second signal exits at once (130). Exits 2 for bad input or a refused ' +
    'token (naming the reason). `--json` logs one JSON object per line (joined, peer:joined, peer:updated, ' +
    'peer:left, leaving, left).',
  run,
};

async function run(ctx: CommandContext): Promise<ExitCode> {
  const flags = parseMeshFlags('peer', ctx.argv, FLAGS, ctx.env);
  if (flags.help) {
    ctx.stdout.write(flagsHelp(peerCommand.synopsis, peerCommand.description, FLAGS));
    return EXIT.ok;
  }
  if (flags.positionals.length > 0)
    throw new CliInputError(`unexpected argument '${flags.positionals[0]}' (handout peer takes only flags)`);
  const signalText = requireValue(flags, '--signal', 'peer');
  const signal = parseSignalUrls(signalText, flags.origin('--signal'));
  const token = requireValue(flags, '--token', 'peer');
  const json = booleanFlag(flags, '--json');
  const coordinator = booleanFlag(flags, '--coordinator');
  let claims: ReturnType<typeof readTokenClaims>;
  try {
    claims = readTokenClaims(token);
  } catch (error) {
    throw new CliInputError(`${flags.origin('--token')}: ${(error as Error).message}`);
  }
  if (!claims.roles.includes('contribute') && !(coordinator && claims.roles.includes('coordinate'))) {
    throw new CliInputError(
      `${flags.origin('--token')} grants ${claims.roles.join(', ')}: a peer needs 'contribute'` +
        (coordinator ? " or 'coordinate'" : ' (or --coordinator with a token granting coordinate)'),
    );
  }
  if (coordinator && !claims.roles.includes('coordinate'))
    throw new CliInputError(
      `--coordinator needs a token granting 'coordinate' (${flags.origin('--token')} grants ${claims.roles.join(', ')})`,
    );
  const concurrency = numberFlag(flags, '--concurrency', { integer: true, min: 1, max: 4096 });
  const costRate = numberFlag(flags, '--cost', { min: 0 });
  const memoryMB = numberFlag(flags, '--memory', { min: 0 });
  const speed = numberFlag(flags, '--speed', { min: 0.01 });
  const cacheMaxMb = numberFlag(flags, '--cache-max-mb', { min: 1 });
  const graceSeconds = numberFlag(flags, '--grace', { min: 0 }) ?? 5;
  const waitTimeout = numberFlag(flags, '--wait-timeout', { min: 0.01 });
  if (waitTimeout !== undefined && !coordinator)
    throw new CliInputError('--wait-timeout needs --coordinator');
  const tags = listFlag(flags, '--tags');
  const cacheDir = flags.values.get('--cache-dir');

  const log = (event: string, fields: Record<string, unknown>, text: string): void => {
    ctx.stdout.write(
      json ? `${JSON.stringify({ event, at: Date.now(), ...fields })}\n` : `handout peer: ${text}\n`,
    );
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

  let peer: MeshPeer;
  try {
    peer = await createMeshPeer({
      signal,
      token,
      coordinator:
        coordinator && waitTimeout !== undefined
          ? { unsatisfiableTimeoutMs: waitTimeout * 1000 }
          : coordinator,
      ...(concurrency !== undefined && { concurrency }),
      ...(costRate !== undefined && { costRate }),
      ...(memoryMB !== undefined && { memoryMB }),
      ...(speed !== undefined && { speed }),
      ...(tags !== undefined && { tags }),
      ...(cacheDir !== undefined && { cacheDir }),
      ...(cacheMaxMb !== undefined && { cacheMaxBytes: cacheMaxMb * 1024 * 1024 }),
      drainGraceMs: graceSeconds * 1000,
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
    `joined mesh '${peer.mesh}' as '${peer.peerId}' (${peer.roles.join(', ')}; ${caps.cores} slots, speed ${caps.speed}, ` +
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
  peer.coordinator?.on('task:waiting', ({ functionId, unmet }) =>
    log(
      'task:waiting',
      { functionId, unmet },
      `coordinator: function '${functionId}' waits for a peer with ${unmet}`,
    ),
  );

  const lost = new Promise<string>((resolve) => {
    peer.signaling.on('close', (error) => resolve(error ? error.message : 'the signaling connection closed'));
  });
  const stop = await Promise.race([stopRequested, lost.then((why) => `lost:${why}`)]);
  offStop();
  if (stop.startsWith('lost:')) {
    log('left', { reason: stop.slice(5) }, `lost the mesh: ${stop.slice(5)}`);
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
  log('left', { reason: stop }, 'left the mesh');
  return EXIT.ok;
}
