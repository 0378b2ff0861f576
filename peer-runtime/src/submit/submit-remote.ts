/**
 * The submitter's side: send a DAG to a coordinator peer and follow it as a `Run` — the same object `runLocal`
 * returns. Events arrive as `run:event` messages and are replayed into a MeshRun, so records name the peer that
 * ran each function; `result(id)` fetches the bytes from a holder (asking the coordinator to recompute a result
 * whose holders all left, remote-recover.ts); `cancel()` sends `run:cancel`. A coordinator
 * that disconnects or stops answering fails the run with a PeerError naming it.
 */
import { hashFunctions } from '../dag/hash.js';
import type { DagJSON, FunctionSpec } from '../dag/types.js';
import { assertValidDag } from '../dag/validate.js';
import { PeerError } from '../errors.js';
import { MeshRun } from '../mesh/mesh-run.js';
import { portOf } from '../mesh/port.js';
import { applyWireEvent } from '../mesh/wire-events.js';
import type { VerifyOptions } from '../protocol/messages.js';
import type { Transport } from '../transport/types.js';
import { recoverThroughCoordinator } from './recover.js';

export interface SubmitRemoteOptions {
  /** Allocation strategy the coordinator should use. Default: the coordinator's default. */
  readonly strategy?: string;
  /** The run's id (unique per submitter). Default: a random UUID. */
  readonly runId?: string;
  /** Ask the coordinator to verify results by replicas and quorum (docs/security.md). Default: off. */
  readonly verify?: VerifyOptions;
  /** Ping the coordinator this often while the run goes on; an unanswered ping fails the run. 0 = off. Default 5000 ms. */
  readonly heartbeatIntervalMs?: number;
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
  const hashes = hashFunctions(functions);
  const port = portOf(transport);
  const runId = options.runId ?? globalThis.crypto.randomUUID();
  const cleanups: (() => void)[] = [];
  // The last function's end is not the last word: attempts closed with it and the final holders follow in the
  // same batch (`run:done`). So the run keeps listening until `run:done` (or a loss, or a short grace).
  let finalWord!: () => void;
  const lastEvent = new Promise<void>((resolve) => {
    finalWord = resolve;
  });
  const finalGraceMs = options.finalEventGraceMs ?? 2000;
  const run = new MeshRun(
    runId,
    functions.map((f) => ({ id: f.id, hash: hashes.get(f.id)! })),
    port,
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
        for (const off of cleanups) off();
      },
    },
  );
  const recoverTimeoutMs = options.recoverTimeoutMs ?? 120_000;
  if (recoverTimeoutMs > 0) {
    run.onLostResult(
      recoverThroughCoordinator(run, {
        port,
        coordinatorId,
        timeoutMs: recoverTimeoutMs,
        fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      }),
    );
  }
  const lose = (why: string, cause?: unknown): void => {
    finalWord();
    run.failAll(
      new PeerError(coordinatorId, `coordinator '${coordinatorId}' ${why}; run '${runId}' is lost`, {
        cause,
      }),
      'peer-lost',
      coordinatorId,
    );
  };

  cleanups.push(
    port.onMessage((from, message) => {
      if (from !== coordinatorId || message.type !== 'run:event' || message.runId !== runId) return;
      applyWireEvent(run, message.event, coordinatorId);
      if (message.event.kind === 'run:done' || message.event.kind === 'run:rejected') finalWord();
    }),
  );
  cleanups.push(
    port.onDisconnect((peerId, reason) => {
      if (peerId !== coordinatorId || reason === 'idle' || reason === 'evicted') return;
      lose(`disconnected (${reason})`);
    }),
  );
  const heartbeatMs = options.heartbeatIntervalMs ?? 5000;
  if (heartbeatMs > 0 && coordinatorId !== port.peerId) {
    const timer = setInterval(() => {
      transport.ping(coordinatorId).catch((error: unknown) => lose('stopped answering', error));
    }, heartbeatMs);
    (timer as { unref?: () => void }).unref?.();
    cleanups.push(() => clearInterval(timer));
  }

  run.signal.addEventListener(
    'abort',
    () => {
      const reason = (run.signal.reason as Error | undefined)?.message ?? 'cancelled by its submitter';
      port.post(coordinatorId, { type: 'run:cancel', runId, reason });
      finalWord();
      // Do not wait for the coordinator: a cancelled run ends now on this side.
      for (const r of run.records()) run.markCancelled(r.id);
    },
    { once: true },
  );
  const external = options.signal;
  if (external) {
    const onAbort = (): void => run.cancel(`run '${runId}' was aborted by its signal`);
    if (external.aborted) queueMicrotask(onAbort);
    else external.addEventListener('abort', onAbort, { once: true });
    cleanups.push(() => external.removeEventListener('abort', onAbort));
  }

  const dagJson: DagJSON = { format: 'handout-dag', version: 1, functions };
  port
    .send(coordinatorId, {
      type: 'dag:submit',
      runId,
      dag: dagJson,
      options: {
        ...(options.strategy !== undefined && { strategy: options.strategy }),
        ...(options.verify !== undefined && { verify: options.verify }),
      },
    })
    .catch((error: unknown) => lose('is unreachable', error));
  return run;
}
