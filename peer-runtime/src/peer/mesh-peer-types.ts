/**
 * What `createMeshPeer` (mesh-peer.ts) takes and gives: the options of one member of a mesh and the member it
 * returns. Kept apart from the assembly so the settings can be read without the wiring.
 */

import type { PeerAgent } from '../agent/peer-agent.js';
import type { Coordinator, CoordinatorOptions } from '../coordinator/coordinator.js';
import type { SignalingClient } from '../signaling/client.js';
import type { PeerCapabilities, PeerInfo, Role } from '../signaling/contract.js';
import type { ResultStore, ResultStoreStats } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { Transport, TransportOptions } from '../transport/types.js';
import type { WorkerPool } from '../worker/pool.js';
import type { CapabilityChoices } from './capabilities.js';
import type { SignalingMembership } from './signaling-membership.js';

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
   * `false`: an in-memory cache (lost on exit). With `store`: where that store lives, so that the cache's
   * receipts (and a coordinator's trust ledger) are kept beside it (a page's IndexedDB cache name).
   */
  readonly cacheDir?: string | false;
  /** Bound of the result cache in bytes (LRU eviction). Default 1 GiB. */
  readonly cacheMaxBytes?: number;
  /**
   * How long a cache receipt lives after its issue, ms: this peer drops older ones from its receipt book, and the
   * coordinator it runs (unless its own options say `receiptTtlMs`) believes none older (docs/security.md).
   * Infinity: forever. Default 30 days.
   */
  readonly receiptTtlMs?: number;
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
