/**
 * How runs enter a coordinator: in-process (`submit`) or over the mesh (`dag:submit`, `receive`). A DAG is
 * validated, its functions hashed and its graph built, an allocator chosen for its strategy, and its MeshRun made
 * and registered; it starts once the peers' holdings are known (peer-roster.ts). A remote run streams its events
 * to its submitter; a remote submitter that sends its running run again is told where every function stands.
 */
import { dagGraph } from '../dag/graph.js';
import { hashFunctionsByPosition, hashFunctionsByPositionSteps } from '../dag/hash.js';
import { inputsFirstIndices } from '../dag/order.js';
import { runStepsYielding, yieldToEventLoop } from '../dag/steps.js';
import type { DagJSON, FunctionSpec } from '../dag/types.js';
import { validateDag, validateDagSteps } from '../dag/validate.js';
import { DagValidationError } from '../errors.js';
import type { GrantIssuer } from '../mesh/fetch-grants.js';
import { MeshRun } from '../mesh/mesh-run.js';
import type { MeshPort } from '../mesh/port.js';
import { forwardRunEvents } from '../mesh/wire-events.js';
import type { DagSubmitMessage, RunResume } from '../protocol/messages.js';
import type { ResourceTracker } from '../scheduling/types.js';
import type { Logger } from '../telemetry/logger.js';
import { chooseAllocator } from './allocator-choice.js';
import type { Handover } from './handover.js';
import type { LostResults } from './lost-results.js';
import type { NetworkProbe } from './network-probe.js';
import type { Outcomes } from './outcomes.js';
import type { PeerRoster } from './peer-roster.js';
import type { RunRegistry } from './run-registry.js';
import { replayRunTo } from './run-replay.js';
import { RunState } from './run-state.js';
import { refuseUnpinnedNondeterministic, sameFunctions } from './submission-checks.js';
import type { CoordinatorOptions, SubmitRunOptions } from './types.js';
import { functionPolicies, type VerifyOptions, verifyPolicy } from './verify-quorum.js';

export interface RunIntakeDeps {
  readonly options: CoordinatorOptions;
  readonly port: MeshPort;
  readonly tracker: ResourceTracker;
  readonly probe: NetworkProbe;
  readonly runs: RunRegistry;
  readonly roster: PeerRoster;
  readonly outcomes: Outcomes;
  /** Takes a moved run's account (attempts, work in flight) before it starts (handover.ts). */
  readonly handover: Handover;
  readonly lineage: LostResults;
  readonly grants: GrantIssuer | undefined;
  readonly log: Logger;
  /** The run ended: the coordinator retires it (called before its `done` resolves). */
  readonly finish: (state: RunState) => Promise<void>;
  readonly closed: () => boolean;
}

export class RunIntake {
  constructor(private readonly deps: RunIntakeDeps) {}

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

  private start(
    functions: readonly FunctionSpec[],
    strategy: string | undefined,
    runId: string,
    submitter: string | undefined,
    verify?: VerifyOptions,
    resume?: RunResume,
    streamOutput = false,
    prepared?: PreparedDag,
  ): RunState {
    const policies = functionPolicies(functions, verifyPolicy(verify));
    if (policies) refuseUnpinnedNondeterministic(functions, policies);
    let state!: RunState;
    const allocator = chooseAllocator(
      this.deps,
      strategy ?? this.deps.options.strategy ?? 'load-balanced',
      functions,
      () => state,
    );
    // One pass over ids for both hashing and the run's graph.
    const indexed = prepared?.indexed ?? inputsFirstIndices(functions);
    const hashes = prepared?.hashes ?? hashFunctionsByPosition(functions, indexed);
    const key = this.deps.runs.newKey();
    const run = new MeshRun(
      runId,
      functions.map((f, i) => ({ id: f.id, hash: hashes[i]! })),
      this.deps.port,
      {
        fetchTimeoutMs: this.deps.options.fetchTimeoutMs,
        beforeDone: async () => this.deps.finish(state),
        // The graph's id → position map, shared: one more Map entry per function otherwise.
        index: indexed.indexById,
      },
    );
    run.onLostResult((id, location) => this.deps.lineage.recompute(state, id, location, this.deps.closed()));
    state = new RunState(
      key,
      functions,
      prepared?.graph ?? dagGraph(functions, indexed),
      hashes,
      run,
      allocator,
      submitter,
      this.deps.options.allocatorOptions?.defaultEstimateMs ?? 1000,
      policies,
    );
    this.deps.handover.resume(state, resume);
    this.deps.runs.add(state);
    run.signal.addEventListener('abort', () => this.deps.outcomes.cancelRun(state), { once: true });
    if (submitter !== undefined) {
      const off = forwardRunEvents(
        run,
        this.deps.port.peerId,
        (event) => {
          this.deps.port.post(submitter, { type: 'run:event', runId, event });
        },
        { issuer: this.deps.grants, submitter },
        streamOutput,
      );
      run.done.then(off, off);
    }
    const fields = { run: runId, ...(submitter !== undefined && { submitter }) };
    this.deps.log.info('run accepted', {
      ...fields,
      functions: functions.length,
      ...(resume && { takenOverFrom: resume.from }),
    });
    run.done.then((summary) => {
      const ms = summary.endedAt - summary.startedAt;
      this.deps.runs.tally(summary);
      this.deps.log.info('run done', { ...fields, status: summary.status, ms });
    });
    // Start on a later tick, after the caller subscribed to events.
    this.deps.roster.startWhenHoldingsKnown(() => {
      for (let i = 0; i < state.n; i++) if (state.isReady(i)) this.deps.outcomes.ready(state, i);
    });
    return state;
  }

  /**
   * A submission over the mesh. Taken in steps (dag/steps.ts), the event loop running between them: validating,
   * hashing and building the graph of a 100,000-function DAG takes a second or more of CPU, and a coordinator
   * that held its loop that long would miss its pings and heartbeats and be declared lost by its peers and by the
   * submitter (2 s of silence by default) while doing nothing wrong. The run exists (and answers `run:cancel`)
   * once taken in; a cancel that arrives before is kept and applied then (`cancelPending`).
   */
  receive(from: string, message: DagSubmitMessage): void {
    void this.receiveInSteps(from, message);
  }

  /**
   * A `run:cancel` for a run still being taken in: returns false when `from` has no such submission pending.
   */
  cancelPending(from: string, runId: string, reason: string | undefined): boolean {
    const pending = this.pending.get(pendingKey(from, runId));
    if (!pending) return false;
    pending.cancel = reason ?? 'cancelled';
    return true;
  }

  /** Submissions being taken in, by submitter and run id, with a cancel that arrived meanwhile. */
  private readonly pending = new Map<string, { cancel?: string }>();

  private async receiveInSteps(from: string, message: DagSubmitMessage): Promise<void> {
    const reject = (text: string, issues?: DagValidationError['issues']): void => {
      this.deps.log.warn('submission refused', { run: message.runId, submitter: from, reason: text });
      this.deps.port.post(from, {
        type: 'run:event',
        runId: message.runId,
        event: { kind: 'run:rejected', message: text, ...(issues && { issues }) },
      });
    };
    const running = this.deps.runs.remoteRun(from, message.runId);
    if (running) {
      // The same submitter sends the same run again: it took us for lost and came back (failover found us
      // alive). Not a second run: tell it where every function stands, since it ignored us meanwhile.
      if (sameFunctions(running, message.dag.functions)) replayRunTo(this.deps.port, from, running);
      else reject(`run id '${message.runId}' is already running on coordinator '${this.deps.port.peerId}'`);
      return;
    }
    const key = pendingKey(from, message.runId);
    // Sent again while we take it in (the submitter's failover search found us): one run, whose events it gets
    // from the start.
    if (this.pending.has(key)) return;
    const pending: { cancel?: string } = {};
    this.pending.set(key, pending);
    try {
      const functions = message.dag.functions;
      const issues = await runStepsYielding(validateDagSteps(message.dag));
      if (issues.length > 0) {
        reject(new DagValidationError(issues).message, issues);
        return;
      }
      const indexed = inputsFirstIndices(functions);
      await yieldToEventLoop();
      const hashes = await runStepsYielding(hashFunctionsByPositionSteps(functions, indexed));
      await yieldToEventLoop();
      const graph = dagGraph(functions, indexed);
      await yieldToEventLoop();
      if (this.deps.closed()) return;
      const state = this.start(
        functions,
        message.options.strategy,
        message.runId,
        from,
        message.options.verify,
        message.options.resume,
        // The submitter takes task:output run events (SubmitOptions.streamOutput).
        message.options.streamOutput === true,
        { indexed, hashes, graph },
      );
      if (pending.cancel !== undefined) state.run.cancel(pending.cancel);
    } catch (error) {
      reject((error as Error).message);
    } finally {
      this.pending.delete(key);
    }
  }
}

/** A DAG's order, hashes and graph, computed before its run is made (in steps, for a submission). */
interface PreparedDag {
  readonly indexed: ReturnType<typeof inputsFirstIndices>;
  readonly hashes: string[];
  readonly graph: ReturnType<typeof dagGraph>;
}

const pendingKey = (from: string, runId: string): string => `${from}\0${runId}`;
