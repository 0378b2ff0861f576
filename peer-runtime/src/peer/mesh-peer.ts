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
 */
import { createWorkerPool, detectPlatform, openPersistentStore, platformRtc } from '#platform';
import { createPeerAgent, type PeerAgent } from '../agent/peer-agent.js';
import type { Coordinator, CoordinatorOptions } from '../coordinator/coordinator.js';
import { createCoordinator } from '../coordinator/coordinator.js';
import { membersFrom } from '../mesh/members.js';
import { connectSignaling, type SignalingClient } from '../signaling/client.js';
import type { IceServerConfig, PeerCapabilities, PeerInfo, PeerState, Role } from '../signaling/contract.js';
import { readTokenClaims } from '../signaling/token-claims.js';
import { createMemoryStore } from '../store/memory.js';
import type { ResultStore, ResultStoreStats } from '../store/types.js';
import { type Logger, silentLogger } from '../telemetry/logger.js';
import type { Transport, TransportOptions } from '../transport/types.js';
import { createWebRtcTransport } from '../transport/webrtc.js';
import type { WorkerPool } from '../worker/pool.js';
import { calibrateSpeed } from './calibration.js';
import { buildCapabilities, type CapabilityChoices } from './capabilities.js';
import { TRUST_CODE_WARNING, tagsForCodeTrust } from './code-trust.js';
import { LoadSampler } from './load.js';
import { openLedger, openReceipts } from './peer-state-files.js';
import { createSignalingMembership, type SignalingMembership } from './signaling-membership.js';

export interface MeshPeerOptions extends CapabilityChoices {
  /**
   * The signaling server URL, e.g. `http://127.0.0.1:8080`, or several processes of one deployment (sharing
   * Redis), tried in turn: when the one in use dies, the peer reconnects to the next and keeps its data channels.
   */
  readonly signal: string | readonly string[];
  /** The token (or a function returning a fresh one on every reconnect and before the token expires). */
  readonly token: string | (() => string);
  /**
   * Asked for a new token shortly before the session's token expires (see `SignalingClientOptions.renewToken`).
   * Default: none; with `token` as a function, that function is asked. Without either, the peer leaves the mesh
   * when its token expires.
   */
  readonly renewToken?: () => string | Promise<string>;
  /** Default: the token's `sub`, or an id the server makes up. */
  readonly peerId?: string;
  /**
   * Roles to take, a subset of the token's. Default: the token's `contribute` and `coordinate` roles when
   * `coordinator` is true, else only `contribute`; `submit` only when asked for here.
   */
  readonly roles?: readonly Role[];
  /** Coordinate runs (needs the `coordinate` role). `true` or coordinator options. Default false. */
  readonly coordinator?:
    | boolean
    | Omit<CoordinatorOptions, 'transport' | 'membership' | 'members' | 'meshKey'>;
  /** Speed score to advertise; default: measured by a short calibration run in a worker (calibration.ts). */
  readonly speed?: number;
  /**
   * Where the persistent result cache lives. Node: a directory (LMDB), default `defaultCacheDir(peerId)`
   * (~/.cache/handout/peers/<id>). Browsers: an IndexedDB database name, default `handout-results`.
   * `false`: an in-memory cache (lost on exit).
   */
  readonly cacheDir?: string | false;
  /** Bound of the result cache in bytes (LRU eviction). Default 1 GiB. */
  readonly cacheMaxBytes?: number;
  /** A store to use instead of opening one (the caller closes it). */
  readonly store?: ResultStore;
  /**
   * A worker pool to run on instead of creating one (the caller closes it). Its `size` is read whenever the peer
   * reports its slots, so a pool whose size changes (a page's cores slider) is advertised anew at the next
   * pause/resume. Default: a pool of `concurrency` workers.
   */
  readonly pool?: WorkerPool;
  /**
   * Run functions with the workers' full powers instead of in the sandbox (docs/security.md), advertise the tag
   * `trusted-code`, and warn through `logger`. With `pool`, the given pool's own `trustCode` decides what code
   * can do; this only sets the tag. Default false.
   */
  readonly trustCode?: boolean;
  /**
   * Module code references this peer imports: http(s) URL prefixes (`https://cdn.example/lib/`); `file:` and
   * `data:` never. Ignored with `pool` or `trustCode`. Default [] (no module code).
   */
  readonly allowModules?: readonly string[];
  /**
   * STUN/TURN servers of this peer's own. Those the signaling server offers in its welcome (with TURN credentials
   * made for this peer: `handout signal --turn-url ... --turn-secret ...`) are used too, after these. Default []
   * (with a server offering none: host candidates only, nothing sent to any STUN server).
   */
  readonly iceServers?: readonly RTCIceServer[];
  readonly transport?: TransportOptions;
  /** How often runtime state (running functions, paused) is published when it changed. Default 1000 ms. */
  readonly stateIntervalMs?: number;
  /** How long `close()` lets running functions finish before handing them back. Default 5000 ms. */
  readonly drainGraceMs?: number;
  /** Signaling connect timeout. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Where the peer's parts log (fields: peer, run, function). Default: silent. */
  readonly logger?: Logger;
}

export interface MeshPeer {
  readonly peerId: string;
  readonly mesh: string;
  readonly roles: readonly Role[];
  readonly capabilities: PeerCapabilities;
  readonly signaling: SignalingClient;
  readonly transport: Transport;
  readonly membership: SignalingMembership;
  /** Present when the peer contributes. */
  readonly agent: PeerAgent | undefined;
  /** Present when the peer coordinates. */
  readonly coordinator: Coordinator | undefined;
  /** Where the result cache lives: a directory or IndexedDB name (undefined: in memory or caller's store). */
  readonly cacheDir: string | undefined;
  /** The result cache's figures (entries, bytes, hits, misses, evictions), for metrics; undefined without one. */
  cacheStats(): Promise<ResultStoreStats | undefined>;
  /** The other members, as last heard from the signaling server. */
  peers(): PeerInfo[];
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Leaves the mesh: drain (hand back unfinished work), then close agent, coordinator, transport, signaling, pool, store. */
  close(options?: { graceMs?: number }): Promise<void>;
}

const DEFAULT_CACHE_BYTES = 1024 * 1024 * 1024;

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
  const receipts = cache.store ? await openReceipts(cache.store, cache.location, logger) : undefined;
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
  const coordinatorOptions = typeof options.coordinator === 'object' ? options.coordinator : {};
  // The trust ledger survives restarts: a file in the cache directory on Node (peer-state-files.ts).
  const kept =
    coordinates && options.cacheDir !== false
      ? await openLedger(
          coordinatorOptions.trustLedger,
          typeof options.cacheDir === 'string' ? options.cacheDir : cache.location,
          peerId,
          logger,
        )
      : undefined;
  const coordinator = coordinates
    ? createCoordinator({
        // A coordinator that starts (or restarts, or takes runs over) learns the peers' caches before it schedules.
        holdingsWaitMs: 2000,
        logger: logger.child({ role: 'coordinator' }),
        ...coordinatorOptions,
        ...(kept && { trustLedger: kept.ledger }),
        transport,
        membership,
        members,
        ...(signaling.meshKey && { meshKey: signaling.meshKey }),
      })
    : undefined;
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
      await kept?.store?.close();
    },
  });
}

interface PeerParts {
  readonly signaling: SignalingClient;
  readonly transport: Transport;
  readonly membership: SignalingMembership;
  readonly agent: PeerAgent | undefined;
  readonly coordinator: Coordinator | undefined;
  readonly capabilities: PeerCapabilities;
  readonly cache: OpenedCache;
  readonly logger: Logger;
  readonly slotsNow: () => number;
  readonly closePool: () => Promise<void>;
  /** Saves and closes the receipts and trust ledger files (peer-state-files.ts). */
  readonly closeFiles: () => Promise<void>;
}

/** The assembled member: publishes its runtime state, and takes its parts down in order when it leaves. */
class AssembledPeer implements MeshPeer {
  async cacheStats(): Promise<ResultStoreStats | undefined> {
    // A store that cannot answer (closing, a disk error) has no figures this time: metrics skip them.
    return this.cacheStore?.stats().catch(() => undefined);
  }

  readonly peerId: string;
  readonly mesh: string;
  readonly roles: readonly Role[];
  readonly capabilities: PeerCapabilities;
  readonly signaling: SignalingClient;
  readonly transport: Transport;
  readonly membership: SignalingMembership;
  readonly agent: PeerAgent | undefined;
  readonly coordinator: Coordinator | undefined;
  readonly cacheDir: string | undefined;
  private readonly cacheStore: ResultStore | undefined;
  private published: PeerState;
  private readonly load = new LoadSampler();
  private isPaused = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private readonly stateTimer: ReturnType<typeof setInterval>;
  private readonly offJoined: () => void;

  constructor(
    private readonly options: MeshPeerOptions,
    private readonly parts: PeerParts,
  ) {
    this.signaling = parts.signaling;
    this.peerId = parts.signaling.peerId;
    this.mesh = parts.signaling.mesh;
    this.roles = parts.signaling.roles;
    this.capabilities = parts.capabilities;
    this.transport = parts.transport;
    this.membership = parts.membership;
    this.agent = parts.agent;
    this.coordinator = parts.coordinator;
    this.cacheDir = parts.cache.location;
    this.cacheStore = parts.cache.store;
    this.published = { running: 0, slots: parts.slotsNow(), paused: false };
    // A coordinator that joins later learns what this peer's cache holds, so its cache lookups find it.
    this.offJoined = this.signaling.on('peer:joined', (info) => {
      if (!this.agent || !info.roles.includes('coordinate')) return;
      this.agent.announce(info.peerId).catch((error: unknown) => {
        parts.logger.debug('holdings not announced', { peer: info.peerId, reason: String(error) });
      });
    });
    // Runtime state: published on change, at most once per interval (the server rate-limits events per socket).
    this.stateTimer = setInterval(() => void this.publish(), options.stateIntervalMs ?? 1000);
    // Node: the timer must not keep the process alive (browsers' timers have no unref).
    (this.stateTimer as { unref?: () => void }).unref?.();
  }

  peers(): PeerInfo[] {
    return this.signaling.peers();
  }

  async pause(): Promise<void> {
    this.isPaused = true;
    this.agent?.pause();
    await this.publish();
  }

  async resume(): Promise<void> {
    this.isPaused = false;
    this.agent?.resume();
    await this.publish();
  }

  close(closeOptions: { graceMs?: number } = {}): Promise<void> {
    this.closed ??= this.leave(closeOptions.graceMs ?? this.options.drainGraceMs ?? 5000);
    return this.closed;
  }

  private async leave(graceMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.stateTimer);
    this.offJoined();
    // Tell the mesh first, so no coordinator assigns more while we drain (publish never throws).
    await this.publish();
    if (this.agent) {
      // drain() resolves once its hand-backs and last results were handed to their channels (bounded).
      await this.agent.drain({ graceMs });
      await this.agent.close();
    }
    await this.coordinator?.close();
    this.membership.close();
    await this.transport.close();
    await this.signaling.close();
    await this.parts.closePool();
    await this.parts.closeFiles();
    if (this.parts.cache.owned) await this.parts.cache.store?.close();
  }

  private async publish(): Promise<void> {
    if (!this.signaling.connected) return;
    const last = this.published;
    const load = this.load.due();
    const next: PeerState = {
      running: this.agent?.assigned ?? 0,
      slots: this.parts.slotsNow(),
      paused: this.isPaused || this.closing,
      ...withLoad(load ?? last),
    };
    if (
      load === undefined &&
      next.running === last.running &&
      next.paused === last.paused &&
      next.slots === last.slots
    )
      return;
    this.published = next;
    try {
      await this.signaling.update({ state: next });
      this.membership.selfChanged();
    } catch {
      // Rate-limited or reconnecting: forget what was published, so the next tick publishes again.
      this.published = { ...this.published, running: -1 };
    }
  }
}

/** The load fields of a PeerState (absent ones stay absent: the validator refuses `undefined` values). */
function withLoad(load: { readonly cpu?: number; readonly memoryMB?: number }): Partial<PeerState> {
  return {
    ...(load.cpu !== undefined && { cpu: load.cpu }),
    ...(load.memoryMB !== undefined && { memoryMB: load.memoryMB }),
  };
}

interface OpenedPool {
  readonly pool: WorkerPool;
  /** The measured speed score, or undefined when `options.speed` was given. */
  readonly speed: number | undefined;
  close(): Promise<void>;
}

/** The contributing peer's pool (given or made) and its calibrated speed. */
async function openPool(options: MeshPeerOptions, cores: number): Promise<OpenedPool> {
  const owns = options.pool === undefined;
  const pool =
    options.pool ??
    createWorkerPool({
      size: options.concurrency ?? cores,
      trustCode: options.trustCode === true,
      allowModules: options.allowModules ?? [],
    });
  const close = async (): Promise<void> => {
    if (owns) await pool.close();
  };
  // Every worker started (and locked down) before the peer joins: see WorkerPool.ready.
  await pool.ready();
  if (options.speed !== undefined) return { pool, speed: undefined, close };
  try {
    return { pool, speed: (await calibrateSpeed(pool)).speed, close };
  } catch (error) {
    await close();
    throw error;
  }
}

interface OpenedCache {
  readonly store: ResultStore | undefined;
  /** The store was opened here (and is closed with the peer). */
  readonly owned: boolean;
  /** A directory or IndexedDB name; undefined in memory or for the caller's store. */
  readonly location: string | undefined;
}

/** The contributing peer's result cache: the caller's store, an in-memory one, or the platform's persistent one. */
async function openCache(options: MeshPeerOptions, peerId: string): Promise<OpenedCache> {
  if (options.store) return { store: options.store, owned: false, location: undefined };
  const maxBytes = options.cacheMaxBytes ?? DEFAULT_CACHE_BYTES;
  if (options.cacheDir === false)
    return { store: createMemoryStore({ maxBytes }), owned: true, location: undefined };
  const opened = await openPersistentStore({
    peerId,
    // No fsync per result: results are recomputable from their DAG's lineage, so a cache that loses its last
    // puts in a power cut only costs recomputation, while a synced put costs ~3–6 ms per function. A committed
    // put still survives the process dying (it is in the OS page cache).
    durable: false,
    ...(options.cacheDir !== undefined && { location: options.cacheDir }),
    maxBytes,
  });
  return { store: opened.store, owned: true, location: opened.location };
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
