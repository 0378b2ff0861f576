/**
 * The submitter's side of `result:recover`: when none of the holders of a final result answers, a remote
 * submitter asks its coordinator, which recomputes the function from the run's lineage (remote-lineage.ts) and
 * says where the result is now; the submitter then fetches it from there, as it fetches any result. The attempts
 * the recompute added go into the run's records.
 *
 * Nothing waits unbounded: the coordinator's answer is awaited at most `timeoutMs`, and a coordinator that is gone
 * (send fails, or it disconnects meanwhile) ends the wait at once. Whatever stops the recovery, `result(id)`
 * fails with the PeerError naming the function and the lost holders, plus why it was not recomputed.
 */
import { PeerError } from '../errors.js';
import {
  grantOf,
  lostResultError,
  type MeshRun,
  mergeTickets,
  type ResultLocation,
} from '../mesh/mesh-run.js';
import { type MeshPort, sendError } from '../mesh/port.js';
import type { ResultRecoveredMessage } from '../protocol/messages.js';

/** How often a recovered result is looked for again when the holder the coordinator named does not answer. */
const MAX_ROUNDS = 3;

/** Request ids of `result:recover`, shared by every run of this process (several may use one transport). */
let nextRequest = 1;

export interface RemoteRecoverOptions {
  readonly port: MeshPort;
  /** The run's coordinator now (it changes when the run fails over to another one). */
  readonly coordinatorId: () => string;
  /** Longest wait for one `result:recovered` answer (a recompute may run the function and its lost inputs). */
  readonly timeoutMs: number;
  /** How long one holder may take to answer the fetch that follows. */
  readonly fetchTimeoutMs: number;
}

/** The `onLostResult` handler of a remote run: recover `id`'s bytes through the coordinator, or reject. */
export function recoverThroughCoordinator(
  run: MeshRun,
  options: RemoteRecoverOptions,
): (id: string, location: ResultLocation) => Promise<Uint8Array> {
  const { port } = options;
  return async (id, location) => {
    const coordinatorId = options.coordinatorId();
    let lost = location;
    for (let round = 0; round < MAX_ROUNDS; round++) {
      let reply: ResultRecoveredMessage;
      try {
        reply = await ask(run, id, options);
      } catch (error) {
        throw lostResultError(run.id, id, location, (error as Error).message, error);
      }
      for (const a of reply.attempts) {
        run.upsertAttempt(a.id, {
          attempt: a.attempt,
          peer: a.peer,
          startedAt: a.startedAt,
          ...(a.endedAt !== undefined && { endedAt: a.endedAt }),
          ...(a.error !== undefined && { error: a.error }),
        });
      }
      const found = reply.location;
      if (!found) {
        throw lostResultError(
          run.id,
          id,
          location,
          `coordinator '${coordinatorId}' could not recompute it: ${reply.error}`,
        );
      }
      const tickets = mergeTickets(undefined, found.holders, found.tickets);
      const recovered: ResultLocation = {
        hash: found.hash,
        size: found.size,
        holders: found.holders,
        ...(found.inline && { inline: found.inline }),
        ...(found.digest && { digest: found.digest }),
        ...(tickets && { tickets }),
      };
      run.setLocation(id, recovered);
      if (found.inline) return found.inline;
      const fetched = await port.fetch(found.hash, found.holders, options.fetchTimeoutMs, grantOf(recovered));
      if (fetched) return fetched.bytes;
      lost = recovered;
    }
    throw lostResultError(run.id, id, lost, 'its recomputed copy could not be fetched either');
  };
}

/** One `result:recover` → `result:recovered` exchange; rejects with a PeerError naming the coordinator. */
function ask(
  run: MeshRun,
  functionId: string,
  options: RemoteRecoverOptions,
): Promise<ResultRecoveredMessage> {
  const { port, timeoutMs } = options;
  const coordinatorId = options.coordinatorId();
  const requestId = nextRequest++;
  return new Promise((resolve, reject) => {
    let settled = false;
    const offs: (() => void)[] = [];
    const settle = (done: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      for (const off of offs) off();
      done();
    };
    const timer = setTimeout(
      () =>
        settle(() =>
          reject(
            new PeerError(
              coordinatorId,
              `coordinator '${coordinatorId}' did not answer the recovery within ${timeoutMs} ms`,
            ),
          ),
        ),
      timeoutMs,
    );
    offs.push(
      port.onMessage((from, message) => {
        if (
          from === coordinatorId &&
          message.type === 'result:recovered' &&
          message.requestId === requestId &&
          message.runId === run.id
        ) {
          settle(() => resolve(message));
        }
      }),
    );
    offs.push(
      port.onDisconnect((peerId, reason) => {
        // An idle or evicted connection is reopened by the next send; only a lost coordinator ends the wait.
        if (peerId !== coordinatorId || reason === 'idle' || reason === 'evicted') return;
        settle(() =>
          reject(new PeerError(coordinatorId, `coordinator '${coordinatorId}' disconnected (${reason})`)),
        );
      }),
    );
    port
      .send(coordinatorId, { type: 'result:recover', requestId, runId: run.id, functionId })
      .catch((error: unknown) =>
        settle(() => {
          const cause = sendError(coordinatorId, error);
          reject(new PeerError(coordinatorId, `coordinator '${coordinatorId}' is unreachable`, { cause }));
        }),
      );
  });
}
