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
import { connectSignaling, type SignalingClient } from '../signaling/client.js';
import type { PeerCapabilities, PeerInfo, PeerState, Role } from '../signaling/contract.js';
import { readTokenClaims } from '../signaling/token-claims.js';
import { createMemoryStore } from '../store/memory.js';
import type { ResultStore } from '../store/types.js';
import type { Transport, TransportOptions } from '../transport/types.js';
import { createWebRtcTransport } from '../transport/webrtc.js';
import type { WorkerPool } from '../worker/pool.js';
import { calibrateSpeed } from './calibration.js';
import { buildCapabilities, type CapabilityChoices } from './capabilities.js';
import { createSignalingMembership, type SignalingMembership } from './signaling-membership.js';

export interface MeshPeerOptions extends CapabilityChoices {
  /** The signaling server URL, e.g. `http://127.0.0.1:8080`. */
  readonly signal: string;
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
  readonly coordinator?: boolean | Omit<CoordinatorOptions, 'transport' | 'membership'>;
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
  /** STUN/TURN servers. Default [] (host candidates only). */
  readonly iceServers?: RTCIceServer[];
  readonly transport?: TransportOptions;
  /** How often runtime state (running functions, paused) is published when it changed. Default 1000 ms. */
  readonly stateIntervalMs?: number;
  /** How long `close()` lets running functions finish before handing them back. Default 5000 ms. */
  readonly drainGraceMs?: number;
  /** Signaling connect timeout. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
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
  let pool: WorkerPool | undefined;
  const ownsPool = options.pool === undefined;
  let speed = options.speed ?? 1;
  if (contributes) {
    pool = options.pool ?? createWorkerPool({ size: options.concurrency ?? facts.cores });
    if (options.speed === undefined) {
      try {
        speed = (await calibrateSpeed(pool)).speed;
      } catch (error) {
        if (ownsPool) await pool.close();
        throw error;
      }
    }
  }
  const closePool = async (): Promise<void> => {
    if (ownsPool) await pool?.close();
  };
  const capabilities = buildCapabilities(
    facts,
    contributes
      ? { ...options, concurrency: options.concurrency ?? pool?.size }
      : { ...options, concurrency: facts.cores },
    speed,
  );
  const slotsNow = (): number => (contributes ? (pool?.size ?? capabilities.cores) : 0);
  const slots = slotsNow();

  let signaling: SignalingClient;
  try {
    signaling = await connectSignaling({
      url: options.signal,
      token: options.token,
      ...(options.renewToken !== undefined && { renewToken: options.renewToken }),
      ...(options.peerId !== undefined && { peerId: options.peerId }),
      capabilities,
      state: { running: 0, slots, paused: false },
      roles,
      ...(options.connectTimeoutMs !== undefined && { connectTimeoutMs: options.connectTimeoutMs }),
    });
  } catch (error) {
    await closePool();
    throw error;
  }
  const peerId = signaling.peerId;

  let store = options.store;
  let ownsStore = false;
  let cacheDir: string | undefined;
  try {
    if (store === undefined && contributes) {
      ownsStore = true;
      if (options.cacheDir === false)
        store = createMemoryStore({ maxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_BYTES });
      else {
        const opened = await openPersistentStore({
          peerId,
          // No fsync per result: results are recomputable from their DAG's lineage, so a cache that loses its
          // last puts in a power cut only costs recomputation, while a synced put costs ~3–6 ms per function.
          // A committed put still survives the process dying (it is in the OS page cache).
          durable: false,
          ...(options.cacheDir !== undefined && { location: options.cacheDir }),
          maxBytes: options.cacheMaxBytes ?? DEFAULT_CACHE_BYTES,
        });
        store = opened.store;
        cacheDir = opened.location;
      }
    }
  } catch (error) {
    await signaling.close();
    await closePool();
    throw error;
  }

  const transport = createWebRtcTransport({
    ...options.transport,
    peerId,
    signals: signaling,
    directory: signaling,
    rtc: platformRtc(),
    ...(options.iceServers !== undefined && { iceServers: options.iceServers }),
  });
  const membership = createSignalingMembership(signaling);

  const coordinatorIds = (): string[] => [
    ...(coordinates ? [peerId] : []),
    ...signaling
      .peers()
      .filter((p) => p.roles.includes('coordinate'))
      .map((p) => p.peerId),
  ];

  const agent =
    contributes && pool && store
      ? createPeerAgent({
          transport,
          pool,
          store,
          coordinators: coordinatorIds(),
          ...(options.drainGraceMs !== undefined && { drainGraceMs: options.drainGraceMs }),
        })
      : undefined;

  const coordinatorOptions = typeof options.coordinator === 'object' ? options.coordinator : {};
  const coordinator = coordinates
    ? createCoordinator({ ...coordinatorOptions, transport, membership })
    : undefined;

  // A coordinator that joins later learns what this peer's cache holds, so its cache lookups find it.
  const offJoined = signaling.on('peer:joined', (info) => {
    if (agent && info.roles.includes('coordinate')) agent.announce(info.peerId).catch(() => {});
  });

  // Runtime state: published on change, at most once per interval (the server rate-limits events per socket).
  let published: PeerState = { running: 0, slots, paused: false };
  let paused = false;
  let closing = false;
  const publish = async (): Promise<void> => {
    if (!signaling.connected) return;
    const next: PeerState = { running: agent?.assigned ?? 0, slots: slotsNow(), paused: paused || closing };
    if (
      next.running === published.running &&
      next.paused === published.paused &&
      next.slots === published.slots
    )
      return;
    published = next;
    try {
      await signaling.update({ state: next });
      membership.selfChanged();
    } catch {
      // Rate-limited or reconnecting: the next tick publishes again.
      published = { ...published, running: -1 };
    }
  };
  const stateTimer = setInterval(() => void publish(), options.stateIntervalMs ?? 1000);
  // Node: the timer must not keep the process alive (browsers' timers have no unref).
  (stateTimer as { unref?: () => void }).unref?.();

  let closed: Promise<void> | undefined;
  const peer: MeshPeer = {
    peerId,
    mesh: signaling.mesh,
    roles: signaling.roles,
    capabilities,
    signaling,
    transport,
    membership,
    agent,
    coordinator,
    cacheDir,
    peers: () => signaling.peers(),
    async pause() {
      paused = true;
      agent?.pause();
      await publish();
    },
    async resume() {
      paused = false;
      agent?.resume();
      await publish();
    },
    close(closeOptions = {}) {
      closed ??= (async () => {
        closing = true;
        clearInterval(stateTimer);
        offJoined();
        // Tell the mesh first, so no coordinator assigns more while we drain.
        await publish().catch(() => {});
        if (agent) {
          // drain() resolves once its hand-backs and last results were handed to their channels (bounded).
          await agent.drain({ graceMs: closeOptions.graceMs ?? options.drainGraceMs ?? 5000 });
          await agent.close();
        }
        await coordinator?.close();
        membership.close();
        await transport.close();
        await signaling.close();
        await closePool();
        if (ownsStore) await store?.close();
      })();
      return closed;
    },
  };
  return peer;
}

/** The roles a peer takes by default: contribute (if granted), coordinate only when asked to coordinate. */
function defaultRoles(granted: readonly Role[], coordinate: boolean): Role[] {
  const roles: Role[] = [];
  if (granted.includes('contribute')) roles.push('contribute');
  if (coordinate && granted.includes('coordinate')) roles.push('coordinate');
  return roles;
}
