/**
 * The coordinator: takes DAGs (over the mesh with `dag:submit`, or in-process with `submit`), validates and hashes
 * them, and runs them on the peers of the mesh through the Dispatcher (scheduler.ts), streaming each run's events
 * to its submitter. Peers come from a MembershipSource (capabilities, joins, leaves) and from their `peer:status`
 * (slots, pause, cache holdings). Outcome handling (completions, failures, lost peers, stragglers) lives in
 * outcomes.ts; this file wires the parts together and owns the lifecycle.
 */

import { hashFunctions } from '../dag/hash.js';
import type { DagJSON, FunctionSpec } from '../dag/types.js';
import { validateDag } from '../dag/validate.js';
import { DagValidationError, HandoutError } from '../errors.js';
import type { MeshMember } from '../mesh/membership.js';
import { MeshRun } from '../mesh/mesh-run.js';
import { type MeshPort, portOf } from '../mesh/port.js';
import { forwardRunEvents } from '../mesh/wire-events.js';
import type { BatchableMessage, DagSubmitMessage } from '../protocol/messages.js';
import type { RunStatus } from '../run/types.js';
import { createAllocator, STRATEGY_NAMES, type StrategyName } from '../scheduling/allocator.js';
import { createResourceTracker } from '../scheduling/resource-tracker.js';
import type { Allocator, PeerView } from '../scheduling/types.js';
import { type Logger, silentLogger } from '../telemetry/logger.js';
import { Dispatcher, type ReadyItem } from './dispatcher.js';
import { createFairQueue, type ReadyQueue } from './fair-queue.js';
import { createPlanFollower } from './heft-plans.js';
import { LostResults } from './lost-results.js';
import { createNetworkProbe, type NetworkProbe } from './network-probe.js';
import { Outcomes } from './outcomes.js';
import { PeerLoads } from './peer-loads.js';
import { rebalanceQueued } from './rebalance.js';
import { RemoteLineage } from './remote-lineage.js';
import { ResultDirectory } from './result-directory.js';
import { RunState } from './run-state.js';
import type {
  Coordinator,
  CoordinatorEvents,
  CoordinatorOptions,
  CoordinatorStats,
  SubmitRunOptions,
} from './types.js';

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
  private readonly lineage: LostResults;
  /** Finished remote runs kept for `result:recover` (remote-lineage.ts). */
  private readonly remoteLineage: RemoteLineage;
  private readonly runs = new Map<string, RunState>();
  private readonly remoteRuns = new Map<string, RunState>();
  private readonly listeners = new Map<keyof CoordinatorEvents, Set<(payload: never) => void>>();
  private readonly cleanups: (() => void)[] = [];
  private readonly timers: ReturnType<typeof setInterval>[] = [];
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
    this.directory = new ResultDirectory({ maxInlineBytes: options.maxInlineBytes });
    this.loads = new PeerLoads(this.tracker, options);
    this.probe = createNetworkProbe(options.transport, {}, this.port.links);
    const unsatisfiableTimeoutMs = options.unsatisfiableTimeoutMs ?? 30_000;
    this.dispatcher = new Dispatcher({
      port: this.port,
      tracker: this.tracker,
      directory: this.directory,
      queue: this.queue,
      loads: this.loads,
      network: options.network ?? this.probe.model,
      unsatisfiableTimeoutMs,
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
    });
    this.outcomes = new Outcomes({
      port: this.port,
      tracker: this.tracker,
      directory: this.directory,
      loads: this.loads,
      dispatcher: this.dispatcher,
      retryBackoffMs: options.retryBackoffMs ?? 100,
      retryBackoffMaxMs: options.retryBackoffMaxMs ?? 5000,
      maxLostAttempts: options.maxLostAttempts ?? 5,
      onPeerLost: (peerId, reason) => {
        this.log.warn(`peer '${peerId}' lost: ${reason}`, { peer: peerId, reason });
        this.emit('peer:lost', { peerId, reason });
      },
      onRecomputed: (run, i) => this.lineage.recomputed(run, i),
      onRecomputeFailed: (run, i, error) => this.lineage.failed(run, i, error),
    });
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
      ...(options.keepLineageMaxFunctions !== undefined && { maxFunctions: options.keepLineageMaxFunctions }),
    });

    this.cleanups.push(this.port.onMessage((from, message) => this.onMessage(from, message)));
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
        this.options.transport.connect(peerId).then(
          () => {
            const member = this.options.membership?.peers().find((m) => m.peerId === peerId);
            if (member) this.register(member);
          },
          () => {},
        );
      }),
    );
    const membership = options.membership;
    if (membership) {
      for (const m of membership.peers()) this.register(m);
      this.cleanups.push(membership.on('peer:joined', (m) => this.register(m)));
      this.cleanups.push(membership.on('peer:updated', (m) => this.register(m)));
      this.cleanups.push(
        membership.on('peer:left', ({ peerId }) => {
          this.probe.forget(peerId);
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
    return this.start(functions, options.strategy, options.runId ?? globalThis.crypto.randomUUID(), undefined)
      .run;
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
  ): RunState {
    let state!: RunState;
    const allocator = this.allocatorFor(
      strategy ?? this.options.strategy ?? 'load-balanced',
      functions,
      () => state,
    );
    const hashes = hashFunctions(functions);
    const key = `r${this.nextRun++}`;
    const run = new MeshRun(
      runId,
      functions.map((f) => ({ id: f.id, hash: hashes.get(f.id)! })),
      this.port,
      { fetchTimeoutMs: this.options.fetchTimeoutMs, beforeDone: async () => this.finish(state) },
    );
    run.onLostResult((id, location) => this.lineage.recompute(state, id, location, this.closed));
    state = new RunState(
      key,
      functions,
      hashes,
      run,
      allocator,
      submitter,
      this.options.allocatorOptions?.defaultEstimateMs ?? 1000,
    );
    this.runs.set(key, state);
    run.signal.addEventListener('abort', () => this.outcomes.cancelRun(state), { once: true });
    if (submitter !== undefined) {
      this.remoteRuns.set(`${submitter}\0${runId}`, state);
      const off = forwardRunEvents(run, this.peerId, (event) => {
        this.port.post(submitter, { type: 'run:event', runId, event });
      });
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
    queueMicrotask(() => {
      for (let i = 0; i < state.n; i++) if (state.remaining[i] === 0) this.outcomes.ready(state, i);
    });
    return state;
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
    if (this.remoteRuns.has(`${from}\0${message.runId}`)) {
      reject(`run id '${message.runId}' is already running on coordinator '${this.peerId}'`);
      return;
    }
    const issues = validateDag(message.dag);
    if (issues.length > 0) {
      reject(new DagValidationError(issues).message, issues);
      return;
    }
    try {
      this.start(message.dag.functions, message.options.strategy, message.runId, from);
    } catch (error) {
      reject((error as Error).message);
    }
  }

  // ---- peers ----

  private register(member: MeshMember): void {
    if (member.roles && !member.roles.includes('contribute')) return;
    const caps = member.capabilities;
    const known = this.tracker.peer(member.peerId);
    this.tracker.register(member.peerId, {
      ...caps,
      // The slots the peer told us (peer:status) beat the core count it advertised.
      cores: known?.cores ?? member.state?.slots ?? caps.cores,
      paused: member.state?.paused ?? known?.paused ?? false,
    });
    this.loads.ensure(member.peerId);
    this.dispatcher.unpark();
    this.dispatcher.kick();
  }

  private onStatus(from: string, message: Extract<BatchableMessage, { type: 'peer:status' }>): void {
    const membership = this.options.membership;
    if (!this.tracker.peer(from)) {
      const member = membership?.peers().find((m) => m.peerId === from);
      if (membership && !member) return; // not (or no longer) a member
      if (member) this.register(member);
      else {
        this.tracker.register(from, { cores: message.slots, paused: message.paused });
        this.loads.ensure(from);
      }
    }
    const view = this.tracker.peer(from);
    if (view && (view.cores !== message.slots || view.paused !== message.paused)) {
      this.tracker.update(from, { cores: message.slots, paused: message.paused });
    }
    for (const hash of message.added ?? []) this.directory.add(hash, from, 0);
    for (const hash of message.removed ?? []) this.directory.remove(hash, from);
    if (message.links) this.probe.learn(from, message.links);
    this.dispatcher.unpark();
    this.dispatcher.kick();
  }

  private onMessage(from: string, message: BatchableMessage): void {
    if (this.closed) return;
    const load = this.loads.get(from);
    if (load) load.lastHeard = Date.now();
    switch (message.type) {
      case 'task:result':
        this.outcomes.onResult(from, message);
        return;
      case 'task:failed':
        this.outcomes.onFailed(from, message);
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
