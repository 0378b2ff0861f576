import type { DagJSON, FunctionSpec } from '../dag/types.js';
import type { AdmissionGate } from '../mesh/admission-gate.js';
import { GrantIssuer } from '../mesh/fetch-grants.js';
import { type MemberDirectory, openMembers } from '../mesh/members.js';
import type { MeshRun } from '../mesh/mesh-run.js';
import { type MeshPort, portOf } from '../mesh/port.js';
import { Refusals } from '../mesh/refusals.js';
import type { BatchableMessage } from '../protocol/messages.js';
import { CapacityClaims } from '../scheduling/claims.js';
import { createResourceTracker } from '../scheduling/resource-tracker.js';
import type { PeerView } from '../scheduling/types.js';
import { type Logger, silentLogger } from '../telemetry/logger.js';
import { TypedEmitter } from '../typed-emitter.js';
import { createCoordinatorAdmission } from './admission.js';
import { CacheClaims } from './cache-claims.js';
import { Dispatcher } from './dispatcher.js';
import { createFairQueue, type ReadyQueue } from './fair-queue.js';
import { Handover } from './handover.js';
import { LostResults } from './lost-results.js';
import { watchMesh } from './mesh-watch.js';
import { type MessageRoutes, routeMessage } from './message-routes.js';
import { createNetworkProbe, type NetworkProbe } from './network-probe.js';
import { Outcomes } from './outcomes.js';
import { OutputRelay } from './output-relay.js';
import { PeerLoads } from './peer-loads.js';
import { PeerRoster } from './peer-roster.js';
import { PeerSanctions } from './peer-sanctions.js';
import { Reachability } from './reachability.js';
import type { ReadyItem } from './ready-item.js';
import { rebalanceQueued } from './rebalance.js';
import { receiptIssuerFor } from './receipts.js';
import { RemoteLineage } from './remote-lineage.js';
import { ResultDirectory } from './result-directory.js';
import { RunIntake } from './run-intake.js';
import { RunRegistry } from './run-registry.js';
import type { RunState } from './run-state.js';
import { TrustLedger } from './trust-ledger.js';
import type {
  Coordinator,
  CoordinatorEvents,
  CoordinatorOptions,
  CoordinatorStats,
  SubmitRunOptions,
} from './types.js';
import { Verification } from './verify.js';

export type {
  Coordinator,
  CoordinatorEvents,
  CoordinatorOptions,
  CoordinatorStats,
  SubmitRunOptions,
} from './types.js';

export function createCoordinator(options: CoordinatorOptions): Coordinator {
  return new MeshCoordinator(options);
}

class MeshCoordinator implements Coordinator {
  readonly peerId: string;
  private readonly port: MeshPort;
  private readonly tracker = createResourceTracker();
  private readonly directory: ResultDirectory;
  private readonly loads: PeerLoads;
  /** Measured links, its own and those peers report (network-probe.ts); the model strategies see unless `options.network`. */
  private readonly probe: NetworkProbe;
  private readonly dispatcher: Dispatcher;
  private readonly outcomes: Outcomes;
  /** Runs taken over from a lost coordinator: attempts carried on, work in flight adopted (handover.ts). */
  private readonly handover: Handover;
  private readonly outputRelay: OutputRelay;
  private readonly lineage: LostResults;
  /** Finished remote runs kept for `result:recover` (remote-lineage.ts). */
  private readonly remoteLineage: RemoteLineage;
  /** Per-peer record of verified answers (trust-ledger.ts); shared by every run of this coordinator. */
  readonly ledger: TrustLedger;
  /** Replicas and quorums of runs with a `verify` policy (verify.ts). */
  private readonly verification: Verification;
  /** Disagreements, contradicted claims, quarantines (peer-sanctions.ts). */
  private readonly sanctions: PeerSanctions;
  /** Advertised slots and speed, believed as far as delivered (scheduling/claims.ts); undefined: believed. */
  private readonly claims: CapacityClaims | undefined;
  /** Running runs by key, remote ones also by submitter; the finished runs' tally (run-registry.ts). */
  private readonly runs = new RunRegistry();
  /** A listener's bug must not derail scheduling: the emitter catches what listeners throw. */
  private readonly events = new TypedEmitter<CoordinatorEvents>();
  /** Peer pairs that could not open a link (from `task:failed`), steering placement (reachability.ts). */
  private readonly reachability = new Reachability();
  private readonly cleanups: (() => void)[] = [];
  private readonly members: MemberDirectory;
  private readonly refused: Refusals;
  private readonly admission: AdmissionGate;
  private readonly grants: GrantIssuer | undefined;
  /** Which announced hashes count, and the receipts that make them count after a restart (cache-claims.ts). */
  private readonly cacheClaims: CacheClaims;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /** Registered peers, lost peers being redialled, holdings heard, the heartbeat (peer-roster.ts). */
  private readonly roster: PeerRoster;
  /** Submissions, in-process and over the mesh, and the making of their runs (run-intake.ts). */
  private readonly intake: RunIntake;
  /** Where accepted messages go (message-routes.ts). */
  private readonly routes: MessageRoutes;
  private closed = false;
  private readonly log: Logger;
  private readonly queue: ReadyQueue<ReadyItem>;

  /**
   * Makes the parts in dependency order (each create* below makes one from those made before it), then attaches
   * what follows the dispatcher, subscribes to the mesh and starts the periodic checks.
   */
  constructor(private readonly options: CoordinatorOptions) {
    this.log = options.logger ?? silentLogger;
    this.queue = options.queue ?? createFairQueue<ReadyItem>();
    this.port = portOf(options.transport);
    this.peerId = this.port.peerId;
    this.members = options.members ?? openMembers;
    this.grants = options.meshKey ? new GrantIssuer(options.meshKey) : undefined;
    this.refused = new Refusals(this.port, options.logger ?? silentLogger, 'coordinator');
    this.admission = createCoordinatorAdmission({
      port: this.port,
      members: this.members,
      refusals: this.refused,
      deliver: (from, message) => this.onMessage(from, message),
    });
    this.directory = new ResultDirectory({ maxInlineBytes: options.maxInlineBytes });
    this.loads = new PeerLoads(this.tracker, options);
    this.probe = createNetworkProbe(options.transport, {}, this.port.links);
    const unsatisfiableTimeoutMs = options.unsatisfiableTimeoutMs ?? 30_000;
    this.dispatcher = this.createDispatcher(unsatisfiableTimeoutMs);
    this.claims = options.claims === false ? undefined : new CapacityClaims(options.claims);
    this.ledger = options.trustLedger ?? new TrustLedger();
    this.sanctions = new PeerSanctions({
      log: this.log,
      ledger: this.ledger,
      directory: this.directory,
      verification: () => this.verification,
      outcomes: () => this.outcomes,
      runs: () => this.runs.values(),
      emit: (event, payload) => this.events.emit(event, payload),
    });
    this.cacheClaims = new CacheClaims({
      port: this.port,
      directory: this.directory,
      members: this.members,
      refusals: this.refused,
      receipts: receiptIssuerFor(options.meshKey, this.peerId, options.receiptTtlMs),
      verification: () => this.verification,
      log: this.log,
    });
    this.verification = this.createVerification();
    const verified = (run: RunState, i: number): boolean => this.verification.covers(run, i);
    this.handover = new Handover({ dispatcher: this.dispatcher, verified });
    this.outcomes = this.createOutcomes();
    // Made before the parts that follow it (they need it), the dispatcher learns of them here, once.
    this.dispatcher.follow({ outcomes: this.outcomes, verification: this.verification });
    this.outputRelay = new OutputRelay(this.outcomes, this.log);
    this.lineage = new LostResults({
      port: this.port,
      directory: this.directory,
      dispatcher: this.dispatcher,
      outcomes: this.outcomes,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      revive: (state) => this.runs.revive(state),
      retire: (state) => this.finish(state),
    });
    this.remoteLineage = new RemoteLineage({
      port: this.port,
      lineage: this.lineage,
      running: (key) => this.runs.remoteByKey(key),
      closed: () => this.closed,
      ...(this.grants && { grants: this.grants }),
      ...(options.keepLineageMaxFunctions !== undefined && { maxFunctions: options.keepLineageMaxFunctions }),
    });
    this.roster = this.createRoster();
    this.intake = this.createIntake();
    const { outcomes, outputRelay, roster, intake, runs, remoteLineage } = this;
    this.routes = { outcomes, outputRelay, roster, intake, runs, remoteLineage };
    this.cleanups.push(...this.watch());
    this.startTimers(unsatisfiableTimeoutMs);
  }

  // ---- the parts, made once by the constructor ----

  private createDispatcher(unsatisfiableTimeoutMs: number): Dispatcher {
    return new Dispatcher({
      reachability: this.reachability,
      port: this.port,
      tracker: this.tracker,
      directory: this.directory,
      queue: this.queue,
      loads: this.loads,
      network: this.options.network ?? this.probe.model,
      unsatisfiableTimeoutMs,
      ...(this.grants && { grants: this.grants }),
      onWaiting: (run, i, unmet, message) => {
        this.log.warn(message, { run: run.run.id, function: run.id(i), unmet });
        run.run.markWaiting(run.id(i), unmet, message);
        this.events.emit('task:waiting', { runId: run.run.id, functionId: run.id(i), unmet, message });
      },
      ...(this.options.rebalance !== false && {
        onQueueEmpty: () =>
          rebalanceQueued(
            { tracker: this.tracker, loads: this.loads, dispatcher: this.dispatcher },
            this.options.rebalance || {},
          ),
      }),
    });
  }

  private createVerification(): Verification {
    return new Verification({
      port: this.port,
      directory: this.directory,
      loads: this.loads,
      dispatcher: this.dispatcher,
      ledger: this.ledger,
      ...(this.options.verifyRandom && { random: this.options.verifyRandom }),
      accept: (run, i, winner, location) => this.outcomes.succeed(run, i, winner, location),
      fail: (run, i, error) => this.outcomes.failFinal(run, i, error),
      onDisagreed: (run, i, peerId, digest, accepted) =>
        this.sanctions.disagreed(run, i, peerId, digest, accepted),
      onQuarantine: (peerId, reason) => this.sanctions.quarantine(peerId, reason),
    });
  }

  private createOutcomes(): Outcomes {
    return new Outcomes({
      handover: this.handover,
      reachability: this.reachability,
      port: this.port,
      tracker: this.tracker,
      directory: this.directory,
      loads: this.loads,
      dispatcher: this.dispatcher,
      refusals: this.refused,
      retryBackoffMs: this.options.retryBackoffMs ?? 100,
      retryBackoffMaxMs: this.options.retryBackoffMaxMs ?? 5000,
      maxLostAttempts: this.options.maxLostAttempts ?? 5,
      onPeerLost: (peerId, reason) => {
        this.roster.noteLost(peerId);
        this.log.warn(`peer '${peerId}' lost: ${reason}`, { peer: peerId, reason });
        this.events.emit('peer:lost', { peerId, reason });
      },
      onRecomputed: (run, i) => this.lineage.recomputed(run, i),
      onAccepted: (run, i, location) => {
        if (run.specs[i]!.cache !== false)
          this.cacheClaims.accepted(location, this.verification.covers(run, i));
      },
      onRecomputeFailed: (run, i, error) => this.lineage.failed(run, i, error),
      verification: this.verification,
      onCompleted: (d, reportedMs, observedMs) => {
        const estimateMs = d.run.specs[d.index]!.cost?.estimateMs;
        const believed = this.claims?.completed(d.peer, {
          endedAt: Date.now(),
          reportedMs,
          observedMs,
          ...(estimateMs !== undefined && { estimateMs }),
        });
        if (believed) this.roster.believe(d.peer, believed);
        const lie = this.claims?.takeContradiction(d.peer);
        if (lie) this.sanctions.contradicted(d.peer, lie);
      },
    });
  }

  private createRoster(): PeerRoster {
    return new PeerRoster({
      selfId: this.peerId,
      transport: this.options.transport,
      membership: this.options.membership,
      holdingsWaitMs: this.options.holdingsWaitMs ?? 0,
      tracker: this.tracker,
      loads: this.loads,
      dispatcher: this.dispatcher,
      claims: this.claims,
      ledger: this.ledger,
      members: this.members,
      directory: this.directory,
      probe: this.probe,
      cacheClaims: this.cacheClaims,
      lose: (peerId, reason) => this.outcomes.peerLost(peerId, reason),
      closed: () => this.closed,
    });
  }

  private createIntake(): RunIntake {
    return new RunIntake({
      options: this.options,
      port: this.port,
      tracker: this.tracker,
      probe: this.probe,
      runs: this.runs,
      roster: this.roster,
      outcomes: this.outcomes,
      handover: this.handover,
      lineage: this.lineage,
      grants: this.grants,
      log: this.log,
      finish: (state) => this.finish(state),
      closed: () => this.closed,
    });
  }

  /** How the coordinator follows the mesh (mesh-watch.ts); the unsubscribe functions. */
  private watch(): (() => void)[] {
    return watchMesh({
      port: this.port,
      transport: this.options.transport,
      membership: this.options.membership,
      loads: this.loads,
      admission: this.admission,
      probe: this.probe,
      reachability: this.reachability,
      claims: this.claims,
      roster: this.roster,
      outcomes: this.outcomes,
      remoteLineage: this.remoteLineage,
      runs: this.runs,
      closed: () => this.closed,
    });
  }

  /** The periodic checks: parked functions, stragglers, the heartbeat. */
  private startTimers(unsatisfiableTimeoutMs: number): void {
    const checkMs =
      this.options.unsatisfiableCheckMs ?? Math.max(10, Math.min(1000, unsatisfiableTimeoutMs / 4));
    this.every(checkMs, () => this.dispatcher.unpark());
    const stragglers = this.options.stragglers;
    if (stragglers !== false) {
      this.every(stragglers?.checkMs ?? 500, () => this.outcomes.duplicateStragglers(stragglers ?? {}));
    }
    const heartbeatMs = this.options.heartbeatIntervalMs ?? 5000;
    if (heartbeatMs > 0) this.every(heartbeatMs, () => this.roster.heartbeat(heartbeatMs));
  }

  // ---- public ----
  submit(dag: DagJSON | readonly FunctionSpec[], options: SubmitRunOptions = {}): MeshRun {
    return this.intake.submit(dag, options);
  }

  stats(): CoordinatorStats {
    return {
      runs: this.runs.size,
      queued: this.queue.size,
      peers: this.tracker.peers().length,
      runsDone: this.runs.runsDone(),
      runMs: this.runs.runMs,
    };
  }

  peers(): readonly PeerView[] {
    return this.loads.views();
  }

  holders(hash: string): readonly string[] {
    return [...(this.directory.get(hash)?.holders ?? [])];
  }

  on<E extends keyof CoordinatorEvents>(
    event: E,
    listener: (payload: CoordinatorEvents[E]) => void,
  ): () => void {
    return this.events.on(event, listener);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const run of this.runs.values()) run.run.cancel('the coordinator closed');
    for (const t of this.timers) clearInterval(t);
    this.roster.wakeHoldingWaiters();
    for (const off of this.cleanups) off();
    this.remoteLineage.clear();
    await Promise.all([...this.runs.values()].map((r) => r.run.done));
  }

  private async finish(state: RunState): Promise<void> {
    state.markFinished(Date.now() + (this.options.keepLineageMs ?? 600_000));
    state.clearTimers();
    this.dispatcher.forgetRun(state);
    this.outcomes.forget(state);
    this.runs.remove(state);
    if (state.submitter !== undefined) this.remoteLineage.keep(state);
  }

  refusals(): ReadonlyMap<string, number> {
    return this.refused.counts();
  }

  /** The message entry point, after the admission checks of admission.ts (message-routes.ts). */
  private onMessage(from: string, message: BatchableMessage): void {
    if (!this.closed) routeMessage(this.routes, from, message);
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    (timer as { unref?: () => void }).unref?.();
    this.timers.push(timer);
  }
}
