/**
 * Contracts of the scheduling core: how the coordinator sees peers (ResourceTracker), what a function asks for
 * (ResourceRequest), and how functions are placed (Allocator, Strategy). Pure data and interfaces: no timers, no I/O.
 *
 * A peer's capabilities are the signaling contract's `PeerCapabilities` (what it advertises on join and updates
 * with `peer:update`) plus `PeerState.paused`, so the coordinator feeds the tracker straight from the registry:
 * `tracker.register(info.peerId, { ...info.capabilities, paused: info.state.paused })`.
 */
import type { FunctionSpec, NodeSelector } from '../dag/types.js';
import type { PeerCapabilities, Platform } from '../signaling/contract.js';

export type PeerPlatform = Platform;

/**
 * What a peer offers, as scheduling sees it. From `PeerCapabilities`: `cores` are function slots (a function's
 * `cost.cpu` is taken from them); `memoryMB` is consumed by functions' `cost.memoryMB` (`Infinity` when the peer
 * did not say, then it is not enforced); `gpu` is not consumed (a GPU is shared by its slots); `costRate` is the
 * price of one slot for one second (0 = free); `speed` scales run time (`estimateMs / speed`); `resources` are
 * custom counts consumed by functions asking for them by name.
 */
export interface PeerResources extends PeerCapabilities {
  readonly peerId: string;
  /** A paused peer keeps its running work but takes no new work. */
  readonly paused: boolean;
}

/** What `register` accepts: every field but the id is optional, defaulting as `DEFAULT_CAPABILITIES`. */
export type PeerCapabilitiesInput = Partial<Omit<PeerResources, 'peerId'>>;

/** Resources currently held by grants on one peer. */
export interface ResourceUsage {
  readonly cpu: number;
  readonly memoryMB: number;
  readonly resources: Readonly<Record<string, number>>;
}

/** A peer as the tracker sees it now: capabilities plus what is in use. */
export interface PeerView extends PeerResources {
  readonly used: ResourceUsage;
  /** Outstanding grants (functions placed and not yet released). */
  readonly running: number;
}

/**
 * What one function needs, derived from its spec (`resourceRequestOf`): `cost.cpu` (default 1),
 * `cost.memoryMB` (default 0), `cost.gpu` (default false), `cost.resources`, and the `node` pin.
 */
export interface ResourceRequest {
  readonly cpu: number;
  readonly memoryMB: number;
  readonly gpu: boolean;
  readonly resources: Readonly<Record<string, number>>;
  readonly node?: NodeSelector;
}

/** Proof that resources were taken on a peer; hand it back to `release`. */
export interface ResourceGrant {
  readonly id: number;
  readonly peerId: string;
  readonly request: ResourceRequest;
}

export type RequestRefusal = 'resources_unavailable' | 'unknown_peer' | 'paused';

export type RequestResult =
  | { readonly ok: true; readonly grant: ResourceGrant }
  | {
      readonly ok: false;
      readonly reason: RequestRefusal;
      /** Names the unmet need: `gpu`, `memoryMB 4096 > 2048`, `tag 'eu'`, `peer 'p1'`, `cpu 2 > 1 free`. */
      readonly unmet: string;
    };

export type Satisfiable = { readonly ok: true } | { readonly ok: false; readonly unmet: string };

/** Change events, so a coordinator reschedules when the mesh changes. Listeners run synchronously. */
export interface ResourceTrackerEvents {
  'peer:joined': (peer: PeerView) => void;
  'peer:left': (peerId: string) => void;
  /** Capabilities or state changed (pause, resume, new core count...). */
  'peer:updated': (peer: PeerView, previous: PeerView) => void;
  /** A grant was released: a slot may be free for waiting functions. */
  'capacity:freed': (peer: PeerView) => void;
}

export interface ResourceTracker {
  /** Add a peer (or replace its capabilities if already known, keeping its grants). */
  register(peerId: string, caps: PeerCapabilitiesInput): PeerView;
  /** Change some capabilities or state; throws PeerError for an unknown peer. */
  update(peerId: string, partial: PeerCapabilitiesInput): PeerView;
  /** Forget a peer; its outstanding grants become no-ops on release. */
  unregister(peerId: string): void;
  /** Whether `request(peerId, req)` would succeed now. */
  available(peerId: string, req: ResourceRequest): boolean;
  request(peerId: string, req: ResourceRequest): RequestResult;
  /** Give resources back. Releasing twice, or for a peer that left, does nothing. */
  release(grant: ResourceGrant): void;
  peer(peerId: string): PeerView | undefined;
  /** All peers in registration order. */
  peers(): PeerView[];
  /** Whether some current unpaused peer could run the request when idle; if not, the need no peer meets. */
  canEverSatisfy(req: ResourceRequest): Satisfiable;
  on<E extends keyof ResourceTrackerEvents>(event: E, listener: ResourceTrackerEvents[E]): () => void;
}

/** Measured (or assumed) links between peers. */
export interface NetworkModel {
  /** Bytes per second from one peer to another. */
  bandwidth(from: string, to: string): number;
  latencyMs(from: string, to: string): number;
  /** Time to move `bytes` from one peer to another: 0 on the same peer, else latency + bytes / bandwidth. */
  transferMs(from: string, to: string, bytes: number): number;
}

/** One input of a ready function: which peers hold it and how big it is. */
export interface InputLocation {
  readonly producerId: string;
  readonly bytes: number;
  readonly holders: readonly string[];
}

/** A function whose inputs are all available, waiting to be placed. */
export interface ReadyFunction {
  readonly spec: FunctionSpec;
  readonly hash?: string;
  /** Run time on a speed-1 peer; defaults to `spec.cost.estimateMs`, then to the allocator's `defaultEstimateMs`. */
  readonly estimateMs?: number;
  readonly inputs?: readonly InputLocation[];
  /** Higher goes first (e.g. a HEFT upward rank); strategies may use it to order a batch. */
  readonly priority?: number;
}

export interface AllocationInput {
  readonly functions: readonly ReadyFunction[];
  /** The tracker's view (`tracker.peers()`): capabilities and current usage. */
  readonly peers: readonly PeerView[];
  /** Default: `createNetworkModel()` (100 Mbit/s, 20 ms between distinct peers). */
  readonly network?: NetworkModel;
  /**
   * Cpu a peer may take beyond its cores as queued work, for a function of `estimateMs` on that peer (undefined
   * when the function has no estimate). Only decides whether a peer has room: candidates' `load` and the
   * strategies' ranking still use the real usage, so a deep queue allowance never makes a peer look idle.
   * A coordinator uses it to pipeline assignments. Default: none (room = cores - used).
   */
  readonly queueAllowance?: (peer: PeerView, estimateMs: number | undefined) => number;
}

export interface Assignment {
  readonly functionId: string;
  readonly peerId: string;
}

export type WaitReason =
  /** No current unpaused peer meets the needs or pin: `unmet` names the need. */
  | 'unsatisfiable'
  /** Some peer meets the needs but none has room now. */
  | 'busy'
  /** The strategy chose to wait (e.g. for the peer its plan names). */
  | 'deferred'
  /** A custom allocator chose a peer that does not meet the needs; the shared filter refused it. */
  | 'rejected';

export interface WaitingFunction {
  readonly functionId: string;
  readonly reason: WaitReason;
  readonly unmet?: string;
  readonly message: string;
}

export interface Allocation {
  readonly assignments: Assignment[];
  readonly waiting: WaitingFunction[];
}

/** Places a batch of ready functions. Implementations never mutate their input. */
export interface Allocator {
  readonly name: string;
  allocate(input: AllocationInput): Allocation;
}

/** A peer that meets a function's pin and needs and has room now, with the figures strategies compare. */
export interface Candidate {
  readonly peer: PeerView;
  /** Used cpu / cores (running and queued work), counting assignments made earlier in this batch. */
  readonly load: number;
  /** Estimated run time on this peer: estimate / speed. */
  readonly runMs: number;
  /** Input bytes already on this peer. */
  readonly heldBytes: number;
  /** Input bytes that must move to this peer. */
  readonly moveBytes: number;
  /** Time to fetch the missing inputs, fetched in parallel, each from its fastest holder. */
  readonly transferMs: number;
}

export interface StrategyContext {
  readonly network: NetworkModel;
  /** Every peer, with usage that counts assignments made earlier in this batch. */
  readonly peers: readonly PeerView[];
}

/** A strategy's answer for one function: a peer id among the candidates, or a reason to wait. */
export type StrategyChoice = string | { readonly wait: string } | undefined;

/**
 * The part of an allocator users write. The shared filter hands `pick` only candidates that meet the function's
 * pin and needs and have room, so no strategy can break that rule; a peer id outside the candidates is refused.
 */
export interface Strategy {
  readonly name: string;
  /** Order a batch (who picks first). Default: as given. */
  order?(functions: readonly ReadyFunction[], ctx: StrategyContext): readonly ReadyFunction[];
  pick(fn: ReadyFunction, candidates: readonly Candidate[], ctx: StrategyContext): StrategyChoice;
  /** Told after each assignment it made (stateful strategies, e.g. plan followers). */
  assigned?(assignment: Assignment): void;
}
