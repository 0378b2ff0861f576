/**
 * The submitter's side: send a DAG to a coordinator peer and follow it as a `Run` — the same object `runLocal`
 * returns. Events arrive as `run:event` messages and are replayed into a MeshRun, so records name the peer that
 * ran each function; `result(id)` fetches the bytes from a holder (asking the coordinator to recompute a result
 * whose holders all left, recover.ts); `cancel()` sends `run:cancel`.
 *
 * Failover (with `failover`): when the coordinator is lost — its data channel closes, the membership says it left,
 * or it is silent for `livenessTimeoutMs` although pinged every `heartbeatIntervalMs` — the same run (same id,
 * same DAG) is submitted to another coordinate member (failover.ts picks it). The new coordinator waits briefly
 * for the peers' holdings (CoordinatorOptions.holdingsWaitMs), so functions whose results a peer holds are done
 * at once and only the rest runs. The Run stays the same object: attempts open at the loss end with an error
 * naming the lost coordinator, `run:coordinator-changed` tells old id, new id, reason and the gap, and
 * `result(id)` and `done` go on. No coordinator within `failover.windowMs`: the run fails with a PeerError naming
 * the lost coordinator and the functions left unfinished (the results computed so far stay in the peers' caches,
 * so a rerun executes only the rest). Without `failover`, a lost coordinator fails the run at once.
 */
import { hashFunctions } from '../dag/hash.js';
import type { DagJSON, FunctionSpec } from '../dag/types.js';
import { assertValidDag } from '../dag/validate.js';
import { PeerError } from '../errors.js';
import { MeshRun } from '../mesh/mesh-run.js';
import { type MeshPort, portOf } from '../mesh/port.js';
import { applyWireEvent } from '../mesh/wire-events.js';
import type { ResumedFunction, RunResume, VerifyOptions } from '../protocol/messages.js';
import type { Transport } from '../transport/types.js';
import { CoordinatorSearch, type FailoverOptions } from './failover.js';
import { recoverThroughCoordinator } from './recover.js';

export type { FailoverOptions } from './failover.js';

export interface SubmitRemoteOptions {
  /** Allocation strategy the coordinator should use. Default: the coordinator's default. */
  readonly strategy?: string;
  /** The run's id (unique per submitter). Default: a random UUID. */
  readonly runId?: string;
  /** Ask the coordinator to verify results by replicas and quorum (docs/security.md). Default: off. */
  readonly verify?: VerifyOptions;
  /**
   * Ping the coordinator this often while the run goes on. 0 = off (then only a closed channel or the membership
   * loses it). Default 500 ms with `failover`, else 5000 ms.
   */
  readonly heartbeatIntervalMs?: number;
  /**
   * A coordinator heard nothing from (no pong, no event) for this long is lost. Default 2000 ms with `failover`
   * (four unanswered pings: long enough for a busy event loop, short enough to move the run within ~3 s), else
   * 10 000 ms (a lost coordinator then fails the run, so a false alarm costs more).
   */
  readonly livenessTimeoutMs?: number;
  /** How long one holder may take to answer a result fetch. Default 30 000 ms. */
  readonly fetchTimeoutMs?: number;
  /**
   * When no holder of a final result answers, `result(id)` asks the coordinator to recompute it from the run's
   * lineage (`result:recover`, while it keeps it: `keepLineageMs`) and fetches it from the new holder. This is the
   * longest wait for the coordinator's answer, which includes running the function (and its lost inputs) again;
   * past it, or when the coordinator cannot, `result(id)` fails with a PeerError naming the function and the
   * lost holders. 0 = never ask. Default 120 000 ms.
   */
  readonly recoverTimeoutMs?: number;
  /**
   * After the last function ended, how long to wait for the coordinator's `run:done` (final holders, attempts
   * closed with the last result) before `done` resolves anyway. Default 2000 ms.
   */
  readonly finalEventGraceMs?: number;
  /** Aborting it cancels the run. Default: none. */
  readonly signal?: AbortSignal;
  /** Move the run to another coordinator when its own is lost (see the module header). Default: none (the run fails). */
  readonly failover?: FailoverOptions;
  /**
   * With `failover`: what to do when no coordinator took the run over within the window, instead of failing the
   * unfinished functions. It must end every unfinished function of `run` (e.g. run them on this machine: the
   * SDK's `fallback: 'local'`); if it throws, they fail with its error. Default: none (they fail).
   */
  readonly fallback?: (context: FallbackContext) => Promise<void>;
}

/** What a `fallback` gets: the run to finish, its DAG, the coordinator lost and how long none was found. */
export interface FallbackContext {
  readonly run: MeshRun;
  readonly functions: readonly FunctionSpec[];
  readonly lost: string;
  readonly waitedMs: number;
}

/** Validates and hashes `dag` (throws DagValidationError synchronously), submits it, and returns its Run. */
export function submitRemote(
  transport: Transport,
  coordinatorId: string,
  dag: DagJSON | readonly FunctionSpec[],
  options: SubmitRemoteOptions = {},
): MeshRun {
  assertValidDag(dag);
  const functions = Array.isArray(dag) ? (dag as readonly FunctionSpec[]) : (dag as DagJSON).functions;
  return new RemoteSubmission(transport, coordinatorId, functions, options).run;
}

/** One run followed from the submitting peer, across coordinators. */
class RemoteSubmission {
  readonly run: MeshRun;
  private readonly port: MeshPort;
  private readonly runId: string;
  private readonly dag: DagJSON;
  private readonly cleanups: (() => void)[] = [];
  private readonly finalWord: () => void;
  private readonly search: CoordinatorSearch | undefined;
  /** The coordinator the run is on now, or undefined while it looks for one. */
  private current: string | undefined;
  /** The last coordinator it was on (the one errors name while it looks). */
  private last: string;
  private lastHeard = Date.now();
  /** Set while the run moves: the old coordinator, why, and when it was last heard. */
  private moving: { from: string; reason: string; since: number } | undefined;
  private ended = false;
  private warmedAt = 0;
  /**
   * Function → the peer it was running on when a coordinator was lost (handed back to it by the next one,
   * coordinator/handover.ts). Kept until the run settles on a coordinator that heard it.
   */
  private readonly inFlight = new Map<string, string>();

  constructor(
    private readonly transport: Transport,
    coordinatorId: string,
    functions: readonly FunctionSpec[],
    private readonly options: SubmitRemoteOptions,
  ) {
    const hashes = hashFunctions(functions);
    this.port = portOf(transport);
    this.runId = options.runId ?? globalThis.crypto.randomUUID();
    this.dag = { format: 'handout-dag', version: 1, functions };
    this.last = coordinatorId;
    // The last function's end is not the last word: attempts closed with it and the final holders follow in the
    // same batch (`run:done`). So the run keeps listening until `run:done` (or a loss, or a short grace).
    let finalWord!: () => void;
    const lastEvent = new Promise<void>((resolve) => {
      finalWord = resolve;
    });
    this.finalWord = () => {
      this.ended = true;
      finalWord();
    };
    const finalGraceMs = options.finalEventGraceMs ?? 2000;
    this.run = new MeshRun(
      this.runId,
      functions.map((f) => ({ id: f.id, hash: hashes.get(f.id)! })),
      this.port,
      {
        fetchTimeoutMs: options.fetchTimeoutMs,
        beforeDone: async () => {
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([
            lastEvent,
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, finalGraceMs);
            }),
          ]);
          clearTimeout(timer);
          this.close();
        },
      },
    );
    const recoverTimeoutMs = options.recoverTimeoutMs ?? 120_000;
    if (recoverTimeoutMs > 0) {
      this.run.onLostResult(
        recoverThroughCoordinator(this.run, {
          port: this.port,
          coordinatorId: () => this.current ?? this.last,
          timeoutMs: recoverTimeoutMs,
          fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
        }),
      );
    }
    if (options.failover)
      this.search = new CoordinatorSearch(
        options.failover,
        // An explicit connect first: the transport refuses a peer it marked gone (the lost one) until then.
        (id) => transport.connect(id).then(() => transport.ping(id)),
      );
    this.listen();
    this.submitTo(coordinatorId);
    if (this.search) this.warmStandby(coordinatorId);
  }

  private listen(): void {
    const { port, run } = this;
    this.cleanups.push(
      port.onMessage((from, message) => {
        if (from !== this.current || message.type !== 'run:event' || message.runId !== this.runId) return;
        this.lastHeard = Date.now();
        if (this.moving) {
          const { from: old, reason, since } = this.moving;
          this.moving = undefined;
          this.inFlight.clear();
          this.search?.settled();
          run.noteCoordinatorChanged({ from: old, to: from, reason, gapMs: this.lastHeard - since });
        }
        applyWireEvent(run, message.event, from);
        if (message.event.kind === 'run:done' || message.event.kind === 'run:rejected') this.finalWord();
      }),
      port.onDisconnect((peerId, reason) => {
        if (peerId !== this.current || reason === 'idle' || reason === 'evicted') return;
        this.lose(`disconnected (${reason})`);
      }),
    );
    const left = this.options.failover?.onMemberLeft;
    if (left) {
      this.cleanups.push(
        left((peerId) => {
          if (peerId === this.current) this.lose('left the mesh');
          this.search?.memberLeft(peerId);
        }),
      );
    }
    this.startHeartbeat();
    run.signal.addEventListener(
      'abort',
      () => {
        const reason = (run.signal.reason as Error | undefined)?.message ?? 'cancelled by its submitter';
        if (this.current !== undefined)
          port.post(this.current, { type: 'run:cancel', runId: this.runId, reason });
        this.finalWord();
        this.search?.stop();
        // Do not wait for the coordinator: a cancelled run ends now on this side.
        for (const r of run.records()) run.markCancelled(r.id);
      },
      { once: true },
    );
    const external = this.options.signal;
    if (external) {
      const onAbort = (): void => run.cancel(`run '${this.runId}' was aborted by its signal`);
      if (external.aborted) queueMicrotask(onAbort);
      else external.addEventListener('abort', onAbort, { once: true });
      this.cleanups.push(() => external.removeEventListener('abort', onAbort));
    }
  }

  /** Pings the coordinator; silence past `livenessTimeoutMs` loses it (a pong or any event counts as life). */
  private startHeartbeat(): void {
    const failover = this.options.failover !== undefined;
    const heartbeatMs = this.options.heartbeatIntervalMs ?? (failover ? 500 : 5000);
    if (heartbeatMs <= 0) return;
    const livenessMs = this.options.livenessTimeoutMs ?? (failover ? 2000 : 10_000);
    const timer = setInterval(() => {
      const c = this.current;
      if (c === undefined || c === this.port.peerId || this.ended) return;
      this.warmStandby(c);
      if (Date.now() - this.lastHeard > livenessMs) {
        this.lose(`stopped answering (nothing heard for ${Date.now() - this.lastHeard} ms)`);
        return;
      }
      this.transport.ping(c).then(
        () => {
          if (this.current === c) this.lastHeard = Date.now();
        },
        () => {}, // silence is judged above, by time, not by one ping's fate
      );
    }, heartbeatMs);
    (timer as { unref?: () => void }).unref?.();
    this.cleanups.push(() => clearInterval(timer));
  }

  /**
   * Keeps a data channel open to the coordinator the run would move to, so a failover does not also pay a
   * connection set-up (~1 s in some sittings, see MACHINE-FACTS). A no-op while it is open.
   */
  private warmStandby(current: string): void {
    // At most every 5 s: a standby that cannot be reached must not be dialled on every heartbeat.
    const now = Date.now();
    if (now - this.warmedAt < 5000) return;
    this.warmedAt = now;
    const standby = this.options.failover?.candidates().find((c) => c !== current && c !== this.port.peerId);
    if (standby !== undefined) this.transport.connect(standby).catch(() => {});
  }

  private submitTo(coordinatorId: string): void {
    this.current = coordinatorId;
    this.last = coordinatorId;
    this.lastHeard = Date.now();
    this.port
      .send(coordinatorId, {
        type: 'dag:submit',
        runId: this.runId,
        dag: this.dag,
        options: {
          ...(this.options.strategy !== undefined && { strategy: this.options.strategy }),
          ...(this.options.verify !== undefined && { verify: this.options.verify }),
          ...(this.moving && { resume: this.resumeFrom(this.moving.from) }),
          // This submitter takes `task:output` run events (wire-events.ts applies them): prints arrive live.
          streamOutput: true,
        },
      })
      .catch((error: unknown) => {
        if (this.current === coordinatorId) this.lose('is unreachable', error);
      });
  }

  /**
   * What the next coordinator is told of a moved run: every function's attempts so far (it numbers on from
   * them), and the peer each was running on at the loss (it hands that work back there instead of running it
   * again). See coordinator/handover.ts.
   */
  private resumeFrom(from: string): RunResume {
    const functions: ResumedFunction[] = [];
    for (const r of this.run.records()) {
      if (r.attempts === 0) continue;
      const peer = this.run.isEnded(r.id) ? undefined : this.inFlight.get(r.id);
      functions.push({ id: r.id, attempts: r.attempts, ...(peer !== undefined && { peer }) });
    }
    return { from, functions };
  }

  /** The coordinator is lost: fail over when allowed (module header), else fail what is unfinished. */
  private lose(why: string, cause?: unknown): void {
    const lost = this.current;
    if (lost === undefined || this.ended) return;
    this.current = undefined;
    const search = this.search;
    if (!search) {
      this.finalWord();
      this.failUnfinished(
        new PeerError(lost, `coordinator '${lost}' ${why}; run '${this.runId}' is lost`, { cause }),
      );
      return;
    }
    const since = this.moving?.since ?? this.lastHeard;
    // Lost again before any coordinator answered: the reason keeps the chain, so a move that cost a second loss
    // (e.g. a resubmission that went unanswered) shows it rather than only the last cause.
    const reason = this.moving ? `${this.moving.reason}; then '${lost}' ${why}` : why;
    this.moving = { from: this.moving?.from ?? lost, reason, since };
    for (const r of this.run.records())
      if (r.status === 'running' && r.peer !== undefined) this.inFlight.set(r.id, r.peer);
    this.run.releaseRunning(
      lost,
      `its coordinator '${lost}' was lost (${why}); the run moves to another one`,
    );
    search.lost(lost);
    search.look(
      (next) => {
        if (this.ended) return;
        // It may be alive after all (a false alarm under load): it must not go on running this run beside the
        // next one. Chosen again itself, it keeps the run and tells us where it stands (coordinator.ts).
        if (next !== lost)
          this.port.post(lost, {
            type: 'run:cancel',
            runId: this.runId,
            reason: 'the submitter moved the run',
          });
        this.submitTo(next);
      },
      (waitedMs) => {
        if (this.ended) return;
        const open = this.run
          .records()
          .filter((r) => !this.run.isEnded(r.id))
          .map((r) => `'${r.id}'`);
        const shown =
          open.length > 20 ? `${open.slice(0, 20).join(', ')} and ${open.length - 20} more` : open.join(', ');
        this.finalWord();
        const error = new PeerError(
          lost,
          `coordinator '${lost}' ${why} and no other coordinator took run '${this.runId}' over within ${waitedMs} ms; unfinished: ${shown}`,
          { cause },
        );
        const fallback = this.options.fallback;
        if (!fallback) {
          this.failUnfinished(error);
          return;
        }
        const context = { run: this.run, functions: this.dag.functions, lost, waitedMs };
        fallback(context).then(
          // Whatever the fallback left open fails as it would have without one.
          () => this.failUnfinished(error),
          (failure: unknown) =>
            this.failUnfinished(
              new PeerError(
                lost,
                `${error.message}; finishing it on this machine failed: ${String(failure)}`,
                {
                  cause: failure,
                },
              ),
            ),
        );
      },
    );
  }

  private failUnfinished(error: PeerError): void {
    this.run.failAll(error, 'peer-lost', error.peerId);
  }

  private close(): void {
    this.search?.stop();
    for (const off of this.cleanups.splice(0)) off();
  }
}
