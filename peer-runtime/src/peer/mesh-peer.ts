/**
 * `createMeshPeer`: one Node process or browser tab as a member of a mesh — the assembly of the parts. It joins
 * through the signaling server with measured capabilities, talks to other peers over WebRTC (the signaling client
 * is the transport's SignalRelay and directory), runs assigned functions on a worker pool (peer agent), keeps
 * results in a persistent cache (LMDB on disk in Node, IndexedDB in browsers), optionally coordinates (role
 * `coordinate`), and publishes its runtime state (load, paused) so every member sees it. `close()` leaves
 * cleanly: it stops taking work, lets running functions finish for a grace period, hands back the rest, and only
 * then closes the connections.
 *
 * What a peer does follows its roles: `contribute` (agent + pool + store), `coordinate` (a coordinator fed by the
 * signaling membership), `submit` (nothing here: submitters use `submitRemote` or the embedded coordinator).
 *
 * Platform-neutral: what differs between Node and browsers (worker pool, RTCPeerConnection, platform facts,
 * persistent store) comes through `#platform` (platform/node.ts, platform/browser.ts).
 *
 * Beside it: mesh-peer-types.ts (the options and the member's interface), pool-and-cache.ts (opening the worker
 * pool and the result cache), assembled-peer.ts (the member once assembled: state publishing, leaving in order).
 */
import { detectPlatform, platformRtc } from '#platform';
import { createPeerAgent } from '../agent/peer-agent.js';
import { type Coordinator, createCoordinator } from '../coordinator/coordinator.js';
import type { LedgerStore } from '../coordinator/ledger-store.js';
import { membersFrom } from '../mesh/members.js';
import { connectSignaling, type SignalingClient } from '../signaling/client.js';
import type { IceServerConfig, Role } from '../signaling/contract.js';
import { readTokenClaims } from '../signaling/token-claims.js';
import { type Logger, silentLogger } from '../telemetry/logger.js';
import type { Transport } from '../transport/types.js';
import { createWebRtcTransport } from '../transport/webrtc.js';
import { AssembledPeer } from './assembled-peer.js';
import { buildCapabilities } from './capabilities.js';
import { TRUST_CODE_WARNING, tagsForCodeTrust } from './code-trust.js';
import type { MeshPeer, MeshPeerOptions } from './mesh-peer-types.js';
import { openLedger, openReceipts } from './peer-state-files.js';
import { type OpenedCache, openCache, openPool } from './pool-and-cache.js';
import { createSignalingMembership } from './signaling-membership.js';

export type { MeshPeer, MeshPeerOptions } from './mesh-peer-types.js';

export async function createMeshPeer(options: MeshPeerOptions): Promise<MeshPeer> {
  const tokenText = typeof options.token === 'function' ? options.token() : options.token;
  const claims = readTokenClaims(tokenText);
  const roles =
    options.roles ??
    defaultRoles(claims.roles, options.coordinator !== undefined && options.coordinator !== false);
  const contributes = roles.includes('contribute');
  const coordinates =
    roles.includes('coordinate') && options.coordinator !== undefined && options.coordinator !== false;

  // Measure before joining, so the first advertisement is already right.
  const facts = await detectPlatform();
  const trustCode = options.trustCode === true;
  const tags = tagsForCodeTrust(options.tags, trustCode);
  if (trustCode) options.logger?.warn(TRUST_CODE_WARNING);
  const worker = contributes ? await openPool(options, facts.cores) : undefined;
  const capabilities = buildCapabilities(
    facts,
    { ...options, tags, concurrency: contributes ? (options.concurrency ?? worker?.pool.size) : facts.cores },
    worker?.speed ?? options.speed ?? 1,
  );
  const slotsNow = (): number => (contributes ? (worker?.pool.size ?? capabilities.cores) : 0);

  let signaling: SignalingClient;
  try {
    signaling = await connectSignaling({
      url: options.signal,
      token: options.token,
      ...(options.renewToken !== undefined && { renewToken: options.renewToken }),
      ...(options.peerId !== undefined && { peerId: options.peerId }),
      capabilities,
      state: { running: 0, slots: slotsNow(), paused: false },
      roles,
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    });
  } catch (error) {
    await worker?.close();
    throw error;
  }
  const peerId = signaling.peerId;
  let cache: OpenedCache;
  try {
    cache = contributes
      ? await openCache(options, peerId)
      : { store: undefined, owned: false, location: undefined };
  } catch (error) {
    await signaling.close();
    await worker?.close();
    throw error;
  }
  const logger = (options.logger ?? silentLogger).child({ peer: peerId, mesh: signaling.mesh });
  const transport = createWebRtcTransport({
    ...options.transport,
    peerId,
    signals: signaling,
    directory: signaling,
    rtc: platformRtc(),
    // Asked per connection: the welcome's TURN credentials are replaced by fresh ones at every reconnect.
    iceServers: () => [...(options.iceServers ?? []), ...signaling.iceServers.map(toRtcIceServer)],
  });
  const membership = createSignalingMembership(signaling);
  // The roles and `trusted` claim the signaling server admitted each member with: what the agent's and the
  // coordinator's admission checks believe of a sender (docs/security.md).
  const members = membersFrom((id) => (id === peerId ? signaling.self : signaling.peer(id)));
  const coordinatorIds = [
    ...(coordinates ? [peerId] : []),
    ...signaling
      .peers()
      .filter((p) => p.roles.includes('coordinate'))
      .map((p) => p.peerId),
  ];
  // A caller's store named by `cacheDir` (a page's IndexedDB cache): its receipts are kept beside it too.
  const stateLocation =
    cache.location ?? (typeof options.cacheDir === 'string' ? options.cacheDir : undefined);
  const receipts = cache.store ? await openReceipts(cache.store, stateLocation, logger) : undefined;
  const agent =
    worker && cache.store
      ? createPeerAgent({
          ...(receipts && { receipts }),
          transport,
          pool: worker.pool,
          store: cache.store,
          coordinators: coordinatorIds,
          members,
          ...(signaling.fetchKey && { fetchKey: signaling.fetchKey }),
          logger,
          ...(options.drainGraceMs !== undefined && { drainGraceMs: options.drainGraceMs }),
        })
      : undefined;
  const { coordinator, ledgerStore } = coordinates
    ? await startCoordinator(options, { transport, membership, members, signaling, cache, logger })
    : { coordinator: undefined, ledgerStore: undefined };
  return new AssembledPeer(options, {
    signaling,
    transport,
    membership,
    agent,
    coordinator,
    capabilities,
    cache,
    logger,
    slotsNow,
    closePool: async () => worker?.close(),
    closeFiles: async () => {
      await receipts?.close();
      await ledgerStore?.close();
    },
  });
}

/**
 * The coordinator of a peer with `coordinate`, with the trust ledger that survives restarts (a file in the cache
 * directory on Node, IndexedDB in a tab: peer-state-files.ts).
 */
async function startCoordinator(
  options: MeshPeerOptions,
  parts: {
    transport: Transport;
    membership: ReturnType<typeof createSignalingMembership>;
    members: ReturnType<typeof membersFrom>;
    signaling: SignalingClient;
    cache: OpenedCache;
    logger: Logger;
  },
): Promise<{ coordinator: Coordinator; ledgerStore: LedgerStore | undefined }> {
  const { transport, membership, members, signaling, cache, logger } = parts;
  const coordinatorOptions = typeof options.coordinator === 'object' ? options.coordinator : {};
  const kept =
    options.cacheDir !== false
      ? await openLedger(
          coordinatorOptions.trustLedger,
          typeof options.cacheDir === 'string' ? options.cacheDir : cache.location,
          signaling.peerId,
          logger,
        )
      : undefined;
  const coordinator = createCoordinator({
    // A coordinator that starts (or restarts, or takes runs over) learns the peers' caches before it schedules.
    holdingsWaitMs: 2000,
    logger: logger.child({ role: 'coordinator' }),
    ...(options.receiptTtlMs !== undefined && { receiptTtlMs: options.receiptTtlMs }),
    ...coordinatorOptions,
    ...(kept && { trustLedger: kept.ledger }),
    transport,
    membership,
    members,
    ...(signaling.meshKey && { meshKey: signaling.meshKey }),
  });
  return { coordinator, ledgerStore: kept?.store };
}

/** The welcome's ICE server entry as RTCPeerConnection takes it. */
function toRtcIceServer(server: IceServerConfig): RTCIceServer {
  return {
    urls: [...server.urls],
    ...(server.username !== undefined && { username: server.username }),
    ...(server.credential !== undefined && { credential: server.credential }),
  };
}

/** The roles a peer takes by default: contribute (if granted), coordinate only when asked to coordinate. */
function defaultRoles(granted: readonly Role[], coordinate: boolean): Role[] {
  const roles: Role[] = [];
  if (granted.includes('contribute')) roles.push('contribute');
  if (coordinate && granted.includes('coordinate')) roles.push('coordinate');
  return roles;
}
