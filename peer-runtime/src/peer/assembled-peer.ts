/**
 * The assembled member (mesh-peer.ts builds its parts): publishes its runtime state (load, paused) on change, tells
 * coordinators that join later what its cache holds, and takes its parts down in order when it leaves.
 */
import type { PeerAgent } from '../agent/peer-agent.js';
import type { Coordinator } from '../coordinator/coordinator.js';
import type { SignalingClient } from '../signaling/client.js';
import type { PeerCapabilities, PeerInfo, PeerState, Role } from '../signaling/contract.js';
import type { ResultStore, ResultStoreStats } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { Transport } from '../transport/types.js';
import { LoadSampler } from './load.js';
import type { MeshPeer, MeshPeerOptions } from './mesh-peer-types.js';
import type { OpenedCache } from './pool-and-cache.js';
import type { SignalingMembership } from './signaling-membership.js';

export interface PeerParts {
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
}

/** The assembled member: publishes its runtime state, and takes its parts down in order when it leaves. */
export class AssembledPeer implements MeshPeer {
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
