/**
 * The coordinator: takes DAGs (over the mesh with `dag:submit`, or in-process with `submit`), validates and hashes
 * them, and runs them on the peers of the mesh through the Dispatcher (dispatcher.ts), streaming each run's events
 * to its submitter. Peers come from a MembershipSource (capabilities, joins, leaves) and from their `peer:status`
 * (slots, pause, cache holdings). Outcome handling (completions, failures, lost peers, stragglers) lives in
 * outcomes.ts; this file wires the parts together and owns the lifecycle.
 */
import { dagGraph } from '../dag/graph.js';
import { hashFunctionsByPosition } from '../dag/hash.js';
import { inputsFirstIndices } from '../dag/order.js';
import type { DagJSON, FunctionSpec } from '../dag/types.js';
import { validateDag } from '../dag/validate.js';
import { DagValidationError, HandoutError } from '../errors.js';
import type { AdmissionGate } from '../mesh/admission-gate.js';
import { GrantIssuer } from '../mesh/fetch-grants.js';
import { type MemberDirectory, openMembers } from '../mesh/members.js';
import type { MeshMember } from '../mesh/membership.js';
import { MeshRun } from '../mesh/mesh-run.js';
import { type MeshPort, portOf } from '../mesh/port.js';
import { Refusals } from '../mesh/refusals.js';
import { forwardRunEvents } from '../mesh/wire-events.js';
import type { BatchableMessage, DagSubmitMessage, WireRunEvent } from '../protocol/messages.js';
import type { RunStatus } from '../run/types.js';
import { createAllocator, STRATEGY_NAMES, type StrategyName } from '../scheduling/allocator.js';
import { type BelievedCapacity, CapacityClaims } from '../scheduling/claims.js';
import { createResourceTracker } from '../scheduling/resource-tracker.js';
import type { Allocator, PeerView } from '../scheduling/types.js';
import { type Logger, silentLogger } from '../telemetry/logger.js';
import { createCoordinatorAdmission } from './admission.js';
import { Dispatcher, type ReadyItem } from './dispatcher.js';
import { createFairQueue, type ReadyQueue } from './fair-queue.js';
import { createPlanFollower } from './heft-plans.js';
import { LostResults } from './lost-results.js';
import { createNetworkProbe, type NetworkProbe } from './network-probe.js';
import { Outcomes } from './outcomes.js';
import { OutputRelay } from './output-relay.js';
import { PeerLoads } from './peer-loads.js';
import { Reachability } from './reachability.js';
import { rebalanceQueued } from './rebalance.js';
import { RemoteLineage } from './remote-lineage.js';
import { ResultDirectory } from './result-directory.js';
import { RunState } from './run-state.js';
import { TrustLedger } from './trust-ledger.js';
import type {
  Coordinator,
  CoordinatorEvents,
  CoordinatorOptions,
  CoordinatorStats,
  SubmitRunOptions,
} from './types.js';
import { Verification } from './verify.js';
import { type VerifyOptions, VerifyPolicyError, verifyPolicy } from './verify-quorum.js';

export type {
  Coordinator,
  CoordinatorEvents,
  CoordinatorOptions,
  CoordinatorStats,
  SubmitRunOptions,
} from './types.js';

/** Whether a resubmitted DAG is the run's own (same ids in the same order, same hashes). */
function sameFunctions(state: RunState, functions: readonly FunctionSpec[]): boolean {
  if (functions.length !== state.n) return false;
  const hashes = hashFunctionsByPosition(functions);
  return functions.every((f, i) => f.id === state.id(i) && hashes[i] === state.hashes[i]);
}

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
  private readonly outputRelay: OutputRelay;
  private readonly lineage: LostResults;
  /** Finished remote runs kept for `result:recover` (remote-lineage.ts). */
  private readonly remoteLineage: RemoteLineage;
  /** Per-peer record of verified answers (trust-ledger.ts); shared by every run of this coordinator. */
  readonly ledger: TrustLedger;
  /** Replicas and quorums of runs with a `verify` policy (verify.ts). */
  private readonly verification: Verification;
  /** Advertised slots and speed, believed as far as delivered (scheduling/claims.ts); undefined: believed. */
  private readonly claims: CapacityClaims | undefined;
  private readonly runs = new Map<string, RunState>();
  private readonly remoteRuns = new Map<string, RunState>();
  private readonly listeners = new Map<keyof CoordinatorEvents, Set<(payload: never) => void>>();
  /** Peer pairs that could not open a link (from `task:failed`), steering placement (reachability.ts). */
  private readonly reachability = new Reachability();
  private readonly cleanups: (() => void)[] = [];
  private readonly members: MemberDirectory;
  private readonly refused: Refusals;
  private readonly admission: AdmissionGate;
  private readonly grants: GrantIssuer | undefined;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  /**
   * Peers given up on (silent, unreachable, connection closed) and not yet reconnected. The transport remembers
   * them as gone, so sending to them fails until someone dials explicitly: such a peer is registered again only
   * once `transport.connect` succeeded (reconnect below), never merely because the membership still lists it
   * (a SIGSTOPped process keeps its signaling socket, then publishes its state on SIGCONT). Value: a reconnect
   * in progress.
   */
  private readonly lostPeers = new Map<string, Promise<void> | undefined>();
  /** Contributing peers whose `peer:status` (holdings) arrived since they were (re)registered. */
  private readonly heard = new Set<string>();
  /** Runs waiting to start until the peers' holdings are known (startWhenHoldingsKnown). */
  private readonly holdingWaiters = new Set<() => void>();
  /** Slots each peer last said it has (peer:status): its current claim. */
  private readonly claimedSlots = new Map<string, number>();
  private nextRun = 1;
  private closed = false;
  private readonly log: Logger;
  private readonly queue: ReadyQueue<ReadyItem>;
  private readonly runsDone: Partial<Record<RunStatus, number>> = {};
  private runMs = 0;

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
    this.dispatcher = new Dispatcher({
      reachability: this.reachability,
      port: this.port,
      tracker: this.tracker,
      directory: this.directory,
      queue: this.queue,
      loads: this.loads,
      network: options.network ?? this.probe.model,
      unsatisfiableTimeoutMs,
      ...(this.grants && { grants: this.grants }),
      onWaiting: (run, i, unmet, message) => {
        this.log.warn(message, { run: run.run.id, function: run.id(i), unmet });
        run.run.markWaiting(run.id(i), unmet, message);
        this.emit('task:waiting', { runId: run.run.id, functionId: run.id(i), unmet, message });
      },
      onUnreachable: (peer, error) =>
        this.outcomes.peerLost(peer, `unreachable: ${(error as Error).message}`),
      onUnsatisfiable: (run, i, error) => this.outcomes.failFinal(run, i, error),
      ...(options.rebalance !== false && {
        onQueueEmpty: () =>
          rebalanceQueued(
            { tracker: this.tracker, loads: this.loads, dispatcher: this.dispatcher },
            options.rebalance || {},
          ),
      }),
      onPlaced: (d, outbox) => this.verification.placed(d, outbox),
      exclude: (run, i) => this.verification.exclude(run, i),
      verifiedLocation: (run, p) =>
        this.verification.covers(run, p) ? this.verification.acceptedLocation(run.hashes[p]!) : null,
    });
    this.claims = options.claims === false ? undefined : new CapacityClaims(options.claims);
    this.ledger = options.trustLedger ?? new TrustLedger();
    this.verification = new Verification({
      port: this.port,
      directory: this.directory,
      loads: this.loads,
      dispatcher: this.dispatcher,
      ledger: this.ledger,
      ...(options.verifyRandom && { random: options.verifyRandom }),
      accept: (run, i, winner, location) => this.outcomes.succeed(run, i, winner, location),
      fail: (run, i, error) => this.outcomes.failFinal(run, i, error),
      onDisagreed: (run, i, peerId, digest, accepted) => {
        this.log.warn(
          `peer '${peerId}' disagreed on function '${run.id(i)}' of run '${run.run.id}': digest ${digest.slice(0, 12)}, quorum ${accepted.slice(0, 12)}`,
          { peer: peerId, run: run.run.id, function: run.id(i) },
        );
        this.emit('verify:disagreed', { runId: run.run.id, functionId: run.id(i), peerId, digest, accepted });
      },
      onQuarantine: (peerId, reason) => this.quarantine(peerId, reason),
    });
    this.outcomes = new Outcomes({
      reachability: this.reachability,
      port: this.port,
      tracker: this.tracker,
      directory: this.directory,
      loads: this.loads,
      dispatcher: this.dispatcher,
      refusals: this.refused,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      retryBackoffMaxMs: options.retryBackoffMaxMs ?? 5000,
      maxLostAttempts: options.maxLostAttempts ?? 5,
      onPeerLost: (peerId, reason) => {
        if (!this.lostPeers.has(peerId)) this.lostPeers.set(peerId, undefined);
        this.heard.delete(peerId);
        queueMicrotask(() => this.checkHoldingWaiters());
        this.log.warn(`peer '${peerId}' lost: ${reason}`, { peer: peerId, reason });
        this.emit('peer:lost', { peerId, reason });
      },
      onRecomputed: (run, i) => this.lineage.recomputed(run, i),
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
        if (believed) this.believe(d.peer, believed);
      },
    });
    this.outputRelay = new OutputRelay(this.outcomes, this.log);
    this.lineage = new LostResults({
      port: this.port,
      directory: this.directory,
      dispatcher: this.dispatcher,
      outcomes: this.outcomes,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      revive: (state) => this.runs.set(state.key, state),
      retire: (state) => this.finish(state),
    });
    this.remoteLineage = new RemoteLineage({
      port: this.port,
      lineage: this.lineage,
      running: (key) => this.remoteRuns.get(key),
      closed: () => this.closed,
      ...(this.grants && { grants: this.grants }),
      ...(options.keepLineageMaxFunctions !== undefined && { maxFunctions: options.keepLineageMaxFunctions }),
    });

    this.cleanups.push(
      this.port.onMessage((from, message) => {
        if (this.closed) return;
        const load = this.loads.get(from);
        if (load) load.lastHeard = Date.now();
        this.admission.receive(from, message);
      }),
    );
    this.cleanups.push(() => this.admission.close());
    this.cleanups.push(() => this.probe.close());
    // Latency to each peer, measured as its connection opens (network-probe.ts).
    this.cleanups.push(
      options.transport.on('peer:connected', ({ peerId }) => {
        if (!this.closed) void this.probe.measure(peerId);
      }),
    );
    this.cleanups.push(
      this.port.onDisconnect((peerId, reason) => {
        if (reason !== 'remote-closed' && reason !== 'failed' && reason !== 'protocol-error') return;
        if (!this.loads.get(peerId)) return;
        this.outcomes.peerLost(peerId, `its connection ${reason === 'failed' ? 'failed' : 'closed'}`);
        // Gone for good, or a blip? If it answers again and is still a member, it comes back (without its cache).
        this.reconnect(peerId);
      }),
    );
    const membership = options.membership;
    if (membership) {
      for (const m of membership.peers()) this.register(m);
      this.cleanups.push(
        membership.on('peer:joined', (m) => {
          // Joined again, perhaps from another network: what it could not reach before may work now.
          this.reachability.forgetPeer(m.peerId);
          this.register(m);
        }),
      );
      this.cleanups.push(membership.on('peer:updated', (m) => this.register(m)));
      this.cleanups.push(
        membership.on('peer:left', ({ peerId }) => {
          this.probe.forget(peerId);
          this.reachability.forgetPeer(peerId);
          this.claims?.forget(peerId);
          this.claimedSlots.delete(peerId);
          this.outcomes.peerLost(peerId, 'it left the mesh');
          this.remoteLineage.forget(peerId);
          for (const run of this.runs.values()) {
            if (run.submitter === peerId) run.run.cancel(`its submitter '${peerId}' left the mesh`);
          }
        }),
      );
    }
    const checkMs = options.unsatisfiableCheckMs ?? Math.max(10, Math.min(1000, unsatisfiableTimeoutMs / 4));
    this.every(checkMs, () => this.dispatcher.unpark());
    const stragglers = options.stragglers;
    if (stragglers !== false) {
      this.every(stragglers?.checkMs ?? 500, () => this.outcomes.duplicateStragglers(stragglers ?? {}));
    }
    const heartbeatMs = options.heartbeatIntervalMs ?? 5000;
    if (heartbeatMs > 0) this.every(heartbeatMs, () => this.heartbeat(heartbeatMs));
  }

  // ---- public ----

  submit(dag: DagJSON | readonly FunctionSpec[], options: SubmitRunOptions = {}): MeshRun {
    const issues = validateDag(dag);
    if (issues.length > 0) throw new DagValidationError(issues);
    const functions = Array.isArray(dag) ? (dag as readonly FunctionSpec[]) : (dag as DagJSON).functions;
    return this.start(
      functions,
      options.strategy,
      options.runId ?? globalThis.crypto.randomUUID(),
      undefined,
      options.verify,
    ).run;
  }

  stats(): CoordinatorStats {
    return {
      runs: this.runs.size,
      queued: this.queue.size,
      peers: this.tracker.peers().length,
      runsDone: { ...this.runsDone },
      runMs: this.runMs,
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
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const run of this.runs.values()) run.run.cancel('the coordinator closed');
    for (const t of this.timers) clearInterval(t);
    this.checkHoldingWaiters();
    for (const off of this.cleanups) off();
    this.remoteLineage.clear();
    await Promise.all([...this.runs.values()].map((r) => r.run.done));
  }

  // ---- runs ----

  private allocatorFor(name: string, functions: readonly FunctionSpec[], state: () => RunState): Allocator {
    const custom = this.options.strategies?.[name];
    if (custom) return createAllocator(custom, this.options.allocatorOptions);
    if (name === 'time-optimized' && this.options.allocatorOptions?.plan === undefined) {
      // Follow a whole-DAG HEFT plan, rebuilt when the membership changes (heft-plans.ts).
      return createPlanFollower({
        functions,
        peers: () => this.tracker.peers(),
        network: this.options.network ?? this.probe.model,
        ...(this.options.network === undefined && { networkVersion: () => this.probe.version }),
        placed: (id) => {
          const s = state();
          const i = s.index.get(id);
          return i === undefined || s.attempt[i]! > 0 || s.run.isEnded(id);
        },
        ...(this.options.allocatorOptions && { allocatorOptions: this.options.allocatorOptions }),
      });
    }
    if ((STRATEGY_NAMES as readonly string[]).includes(name)) {
      return createAllocator(name as StrategyName, this.options.allocatorOptions);
    }
    const known = [...STRATEGY_NAMES, ...Object.keys(this.options.strategies ?? {})];
    throw new HandoutError(
      `unknown allocation strategy '${name}' (this coordinator knows ${known.join(', ')})`,
    );
  }

  private start(
    functions: readonly FunctionSpec[],
    strategy: string | undefined,
    runId: string,
    submitter: string | undefined,
    verify?: VerifyOptions,
    streamOutput = false,
  ): RunState {
    const policy = verifyPolicy(verify);
    if (policy) refuseUnpinnedNondeterministic(functions);
    let state!: RunState;
    const allocator = this.allocatorFor(
      strategy ?? this.options.strategy ?? 'load-balanced',
      functions,
      () => state,
    );
    // One pass over ids for both hashing and the run's graph.
    const indexed = inputsFirstIndices(functions);
    const hashes = hashFunctionsByPosition(functions, indexed);
    const key = `r${this.nextRun++}`;
    const run = new MeshRun(
      runId,
      functions.map((f, i) => ({ id: f.id, hash: hashes[i]! })),
      this.port,
      { fetchTimeoutMs: this.options.fetchTimeoutMs, beforeDone: async () => this.finish(state) },
    );
    run.onLostResult((id, location) => this.lineage.recompute(state, id, location, this.closed));
    state = new RunState(
      key,
      functions,
      dagGraph(functions, indexed),
      hashes,
      run,
      allocator,
      submitter,
      this.options.allocatorOptions?.defaultEstimateMs ?? 1000,
    );
    state.verify = policy;
    this.runs.set(key, state);
    run.signal.addEventListener('abort', () => this.outcomes.cancelRun(state), { once: true });
    if (submitter !== undefined) {
      this.remoteRuns.set(`${submitter}\0${runId}`, state);
      const off = forwardRunEvents(
        run,
        this.peerId,
        (event) => {
          this.port.post(submitter, { type: 'run:event', runId, event });
        },
        { issuer: this.grants, submitter },
        streamOutput,
      );
      run.done.then(off, off);
    }
    const fields = { run: runId, ...(submitter !== undefined && { submitter }) };
    this.log.info('run accepted', { ...fields, functions: functions.length });
    run.done.then((summary) => {
      const ms = summary.endedAt - summary.startedAt;
      this.runsDone[summary.status] = (this.runsDone[summary.status] ?? 0) + 1;
      this.runMs += ms;
      this.log.info('run done', { ...fields, status: summary.status, ms });
    });
    // Start on a later tick, after the caller subscribed to events.
    this.startWhenHoldingsKnown(() => {
      for (let i = 0; i < state.n; i++) if (state.remaining[i] === 0) this.outcomes.ready(state, i);
    });
    return state;
  }

  /**
   * Runs `begin` once every contributing peer has told its holdings (its first `peer:status` since it was
   * registered), or after `holdingsWaitMs`, whichever comes first. A coordinator that just started, or took a run
   * over from a lost one, would otherwise find nothing in its cache directory and recompute what the peers hold;
   * peers that have not spoken are dialled, which makes them announce (the agent does on connecting to a
   * coordinator it knows).
   */
  private startWhenHoldingsKnown(begin: () => void): void {
    const waitMs = this.options.holdingsWaitMs ?? 0;
    const unheard = (): string[] =>
      this.tracker
        .peers()
        .map((p) => p.peerId)
        .filter((id) => id !== this.peerId && !this.heard.has(id));
    const waiting = waitMs > 0 ? unheard() : [];
    if (waiting.length === 0) {
      queueMicrotask(begin);
      return;
    }
    for (const id of waiting) this.options.transport.connect(id).catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      if (!this.holdingWaiters.delete(check)) return;
      clearTimeout(timer);
      begin();
    };
    const check = (): void => {
      if (unheard().length === 0 || this.closed) done();
    };
    this.holdingWaiters.add(check);
    timer = setTimeout(done, waitMs);
  }

  private checkHoldingWaiters(): void {
    for (const check of [...this.holdingWaiters]) check();
  }

  private async finish(state: RunState): Promise<void> {
    if (!state.finished) {
      const keepMs = this.options.keepLineageMs ?? 600_000;
      state.lineageUntil = Date.now() + keepMs;
    }
    state.finished = true;
    for (const t of state.timers) clearTimeout(t);
    state.timers.clear();
    this.dispatcher.forgetRun(state);
    this.outcomes.forget(state);
    this.runs.delete(state.key);
    if (state.submitter !== undefined) {
      this.remoteRuns.delete(`${state.submitter}\0${state.run.id}`);
      this.remoteLineage.keep(state);
    }
  }

  private onSubmit(from: string, message: DagSubmitMessage): void {
    const reject = (text: string, issues?: DagValidationError['issues']): void => {
      this.log.warn('submission refused', { run: message.runId, submitter: from, reason: text });
      this.port.post(from, {
        type: 'run:event',
        runId: message.runId,
        event: { kind: 'run:rejected', message: text, ...(issues && { issues }) },
      });
    };
    const running = this.remoteRuns.get(`${from}\0${message.runId}`);
    if (running) {
      // The same submitter sends the same run again: it took us for lost and came back (failover found us
      // alive). Not a second run: tell it where every function stands, since it ignored us meanwhile.
      if (sameFunctions(running, message.dag.functions)) this.replayTo(from, running);
      else reject(`run id '${message.runId}' is already running on coordinator '${this.peerId}'`);
      return;
    }
    const issues = validateDag(message.dag);
    if (issues.length > 0) {
      reject(new DagValidationError(issues).message, issues);
      return;
    }
    try {
      this.start(
        message.dag.functions,
        message.options.strategy,
        message.runId,
        from,
        message.options.verify,
        message.options.streamOutput === true,
      );
    } catch (error) {
      reject((error as Error).message);
    }
  }

  /** Sends `to` the state of every function of `state` as run events (the ones it missed). */
  private replayTo(to: string, state: RunState): void {
    const run = state.run;
    const post = (event: WireRunEvent): void => {
      this.port.post(to, { type: 'run:event', runId: run.id, event });
    };
    for (const r of run.records()) {
      const at = r.endedAt ?? r.startedAt ?? Date.now();
      const peer = r.peer ?? this.peerId;
      switch (r.status) {
        case 'queued':
          post({ kind: 'task:queued', id: r.id });
          break;
        case 'running':
          post({ kind: 'task:started', id: r.id, attempt: r.attempts, peer, at });
          break;
        case 'succeeded': {
          const location = run.location(r.id);
          post({
            kind: 'task:succeeded',
            id: r.id,
            attempt: r.attempts,
            peer: location?.holders[0] ?? peer,
            at,
            cached: r.cached === true,
            hash: r.hash,
            size: location?.size ?? 0,
          });
          break;
        }
        case 'failed':
          post({
            kind: 'task:failed',
            id: r.id,
            attempt: r.attempts,
            peer,
            at,
            final: true,
            reason: r.error?.reason ?? 'threw',
            message: r.error?.originalMessage ?? 'failed',
          });
          break;
        case 'skipped':
          post({ kind: 'task:skipped', id: r.id, because: r.skippedBecause ?? '' });
          break;
        default:
          break;
      }
    }
  }

  // ---- peers ----

  /** Applies what the claims module now believes of a peer (slow start, measured speed). */
  private believe(peerId: string, believed: BelievedCapacity): void {
    const view = this.tracker.peer(peerId);
    if (!view) return;
    // A measured speed moves a little with every sample; only a move past 20% is news. Every change of a peer's
    // figures makes plan-following runs rebuild their HEFT plan (heft-plans.ts), which must not happen per result.
    const speedMoved = Math.abs(believed.speed - view.speed) > 0.2 * view.speed;
    if (view.cores === believed.cores && !speedMoved) return;
    this.tracker.update(peerId, { cores: believed.cores, ...(speedMoved && { speed: believed.speed }) });
    this.dispatcher.kick();
  }

  /** A peer the trust ledger gave up on: its work re-runs elsewhere, it gets no more, its holdings are not served. */
  private quarantine(peerId: string, reason: string): void {
    this.log.warn(`peer '${peerId}' quarantined: ${reason}`, { peer: peerId, reason });
    this.emit('peer:quarantined', { peerId, reason });
    this.directory.removePeer(peerId);
    this.outcomes.peerLost(peerId, `quarantined: ${reason}`);
  }

  private register(member: MeshMember): void {
    if (member.roles && !member.roles.includes('contribute')) return;
    if (this.ledger.quarantined(member.peerId)) return;
    if (this.lostPeers.has(member.peerId)) {
      this.reconnect(member.peerId);
      return;
    }
    const caps = member.capabilities;
    const known = this.tracker.peer(member.peerId);
    // The slots the peer told us (peer:status) beat the core count it advertised; both are claims.
    const claimedCores = this.claimedSlots.get(member.peerId) ?? member.state?.slots ?? caps.cores;
    const believed = this.claims?.claim(member.peerId, claimedCores, caps.speed) ?? {
      cores: claimedCores,
      speed: caps.speed,
    };
    this.tracker.register(member.peerId, {
      ...caps,
      cores: believed.cores,
      speed: believed.speed,
      paused: member.state?.paused ?? known?.paused ?? false,
    });
    this.loads.ensure(member.peerId);
    this.dispatcher.unpark();
    this.dispatcher.kick();
  }

  /**
   * Dials a lost peer explicitly (which clears the transport's gone mark); once connected, it is registered again
   * if it is still a member. One attempt at a time; retried by the heartbeat and by the member's next update.
   */
  private reconnect(peerId: string): void {
    if (this.closed || this.lostPeers.get(peerId) !== undefined) return;
    // connect() resolves at once over a connection still open but dead (a hung process): a pong proves life.
    const { transport } = this.options;
    const attempt = transport
      .connect(peerId)
      .then(() => transport.ping(peerId))
      .then(
        () => {
          if (this.closed) return;
          this.lostPeers.delete(peerId);
          const member = this.options.membership?.peers().find((m) => m.peerId === peerId);
          if (member) this.register(member);
        },
        () => {
          if (this.lostPeers.get(peerId) === attempt) this.lostPeers.set(peerId, undefined);
        },
      );
    this.lostPeers.set(peerId, attempt);
  }

  private onStatus(from: string, message: Extract<BatchableMessage, { type: 'peer:status' }>): void {
    if (this.ledger.quarantined(from)) return; // its slots and its cache announcements are not believed
    // A status arrived, so the connection works again: whatever we gave up on is back.
    this.lostPeers.delete(from);
    const membership = this.options.membership;
    if (!this.tracker.peer(from)) {
      const member = membership?.peers().find((m) => m.peerId === from);
      if (membership && !member) return; // not (or no longer) a member
      if (member) this.register(member);
      else {
        const believed = this.claims?.claim(from, message.slots) ?? { cores: message.slots };
        this.tracker.register(from, { cores: believed.cores, paused: message.paused });
        this.loads.ensure(from);
      }
    }
    this.claimedSlots.set(from, message.slots);
    const view = this.tracker.peer(from);
    const cores = this.claims?.claim(from, message.slots).cores ?? message.slots;
    if (view && (view.cores !== cores || view.paused !== message.paused)) {
      this.tracker.update(from, { cores, paused: message.paused });
    }
    // An announcement is a claim: it counts where it can be checked. A hash whose digest this coordinator
    // recorded from an accepted result can be checked by every fetcher, so the claimant is added as a holder (a
    // liar is caught at the first fetch, and the fetch moves on); an unknown hash is believed only from a member
    // whose token the mesh owner marked `trusted`. Others' unknown hashes are recomputed (receipts that survive a
    // coordinator restart are not built yet: docs/security.md).
    const trusted = this.members.trusted(from);
    for (const hash of message.added ?? []) {
      if (trusted || this.directory.checkable(hash)) this.directory.add(hash, from, 0);
    }
    for (const hash of message.removed ?? []) this.directory.remove(hash, from);
    if (message.links) this.probe.learn(from, message.links);
    if (!this.heard.has(from)) {
      this.heard.add(from);
      this.checkHoldingWaiters();
    }
    this.dispatcher.unpark();
    this.dispatcher.kick();
  }

  refusals(): ReadonlyMap<string, number> {
    return this.refused.counts();
  }

  /** The message entry point, after the admission checks of admission.ts. */
  private onMessage(from: string, message: BatchableMessage): void {
    if (this.closed) return;
    switch (message.type) {
      case 'task:result':
        this.outcomes.onResult(from, message);
        return;
      case 'task:failed':
        this.outcomes.onFailed(from, message);
        return;
      case 'task:output':
        this.outputRelay.receive(from, message);
        return;
      case 'peer:status':
        this.onStatus(from, message);
        return;
      case 'dag:submit':
        this.onSubmit(from, message);
        return;
      case 'run:cancel':
        this.remoteRuns.get(`${from}\0${message.runId}`)?.run.cancel(message.reason);
        return;
      case 'result:recover':
        void this.remoteLineage.answer(from, message);
        return;
      default:
        return;
    }
  }

  private heartbeat(intervalMs: number): void {
    const now = Date.now();
    // Lost peers the membership still lists may answer again (a process resumed after SIGSTOP).
    const membership = this.options.membership;
    if (membership && this.lostPeers.size > 0) {
      const members = new Set(membership.peers().map((m) => m.peerId));
      for (const peerId of this.lostPeers.keys()) if (members.has(peerId)) this.reconnect(peerId);
    }
    for (const [peerId, load] of this.loads.entries()) {
      if (load.count === 0 || now - load.lastHeard < intervalMs || peerId === this.peerId) continue;
      this.options.transport.ping(peerId).then(
        () => {
          load.lastHeard = Date.now();
        },
        () => this.outcomes.peerLost(peerId, 'it stopped answering'),
      );
    }
  }

  private every(ms: number, fn: () => void): void {
    const timer = setInterval(fn, ms);
    (timer as { unref?: () => void }).unref?.();
    this.timers.push(timer);
  }

  private emit<E extends keyof CoordinatorEvents>(event: E, payload: CoordinatorEvents[E]): void {
    for (const l of [...(this.listeners.get(event) ?? [])]) {
      try {
        (l as (p: CoordinatorEvents[E]) => void)(payload);
      } catch {
        // a listener's bug must not derail scheduling
      }
    }
  }
}

/**
 * A verified run cannot check a `deterministic: false` function (honest replicas disagree), so it runs once, and
 * only where the submitter chose to trust the answer: pinned to a peer or to tagged peers. Anything else is
 * refused before the run starts, naming the function.
 */
function refuseUnpinnedNondeterministic(functions: readonly FunctionSpec[]): void {
  for (const f of functions) {
    if (f.deterministic !== false) continue;
    const node = f.node;
    const pinned =
      typeof node === 'string' ||
      (node !== undefined && (node.peer !== undefined || (node.tags?.length ?? 0) > 0));
    if (!pinned)
      throw new VerifyPolicyError(
        `function '${f.id}' is deterministic: false, so verification cannot check it: pin it to peers you trust (node.peer or node.tags) or run without verify`,
      );
  }
}
