/**
 * Run events on the wire: the coordinator forwards a run's events to its remote submitter as `run:event`
 * messages (`forwardRunEvents`), and the submitter replays them into its own MeshRun (`applyWireEvent`), rebuilding
 * TaskErrors from their plain-data form. Both sides then hold the same records.
 */
import { DagValidationError, HandoutError, taskErrorFor } from '../errors.js';
import type { WireAttemptOutput, WireRunEvent, FetchTicket as WireTicket } from '../protocol/messages.js';
import type { RunController } from '../run/run-controller.js';
import type { AttemptPhases, FunctionVerification } from '../run/types.js';
import { type GrantIssuer, grantFor } from './fetch-grants.js';
import { type MeshRun, mergeTickets } from './mesh-run.js';

/**
 * Subscribes to a run's events and hands each out in wire form. Returns the unsubscribe function. With `grants`,
 * every location the submitter learns (`task:succeeded`, `run:done`) carries the result's digest and the
 * submitter's tickets to fetch it from its holders (fetch-grants.ts). With `streamOutput` (the submitter asked
 * for it: SubmitOptions.streamOutput), each piece of function output leaves at once as a `task:output` event;
 * without, the pieces of an attempt are held and ride on its end event (WireAttemptOutput says why).
 */
export function forwardRunEvents(
  run: MeshRun,
  fallbackPeer: string,
  send: (event: WireRunEvent) => void,
  grants?: { readonly issuer: GrantIssuer | undefined; readonly submitter: string },
  streamOutput = false,
): () => void {
  const printed = new HeldOutput();
  const takeOutput = (id: string, attempt: number): { output?: WireAttemptOutput } => {
    const output = printed.take(id, attempt);
    return output ? { output } : {};
  };
  const offs = [
    run.on('task:queued', ({ id }) => send({ kind: 'task:queued', id })),
    run.on('task:started', ({ id, attempt, peer, at }) =>
      send({ kind: 'task:started', id, attempt, peer: peer || fallbackPeer, at }),
    ),
    run.on('task:succeeded', ({ id, attempt, peer, at, cached }) => {
      const location = run.location(id);
      const holder = peer || location?.holders[0] || fallbackPeer;
      const hash = run.record(id).hash;
      let grant: { digest?: Uint8Array; ticket?: WireTicket } = {};
      if (grants && location) {
        const g = grantFor(grants.issuer, { ...location, holders: [holder] }, grants.submitter);
        grant = { ...(g.digest && { digest: g.digest }), ...(g.tickets?.[0] && { ticket: g.tickets[0] }) };
      }
      send({
        kind: 'task:succeeded',
        id,
        attempt,
        peer: holder,
        at,
        cached,
        hash,
        size: location?.size ?? 0,
        ...grant,
        ...takeOutput(id, attempt),
        ...phasesOf(run, id, attempt, holder),
        ...verificationOf(run, id),
      });
    }),
    run.on('task:failed', ({ id, attempt, peer, at, error, final }) =>
      send({
        kind: 'task:failed',
        id,
        attempt,
        peer: peer || error.peerId || fallbackPeer,
        at,
        final,
        reason: error.reason,
        message: error.originalMessage,
        ...(error.originalStack !== undefined && { stack: error.originalStack }),
        ...takeOutput(id, attempt),
        ...phasesOf(run, id, attempt, peer || error.peerId || fallbackPeer),
        ...(final && verificationOf(run, id)),
      }),
    ),
    run.on('task:retried', ({ id, attempt, delayMs }) =>
      send({ kind: 'task:retried', id, attempt, delayMs }),
    ),
    run.on('task:skipped', ({ id, because }) => send({ kind: 'task:skipped', id, because })),
    run.on('peer:quarantined', ({ peer, reason, at }) =>
      send({ kind: 'peer:quarantined', peer, reason, at }),
    ),
    run.on('function:log', ({ id, attempt, peer, lines, droppedLines }) => {
      if (streamOutput) send({ kind: 'task:output', id, attempt, peer, lines, droppedLines });
      else printed.add(id, { attempt, peer, lines, droppedLines });
    }),
    run.onMeshEvent('task:attempt', ({ id, attempt: a, verification }) =>
      send({
        kind: 'task:attempt',
        id,
        attempt: a.attempt,
        peer: a.peer,
        startedAt: a.startedAt,
        ...(a.endedAt !== undefined && { endedAt: a.endedAt }),
        ...(a.error !== undefined && { error: a.error }),
        ...(a.link !== undefined && { link: a.link }),
        ...(a.fetchedFrom !== undefined && { fetchedFrom: a.fetchedFrom }),
        ...(verification && { verification }),
      }),
    ),
    run.onMeshEvent('task:waiting', ({ id, unmet, message }) =>
      send({ kind: 'task:waiting', id, unmet, message }),
    ),
    run.on('run:done', (summary) =>
      send({
        kind: 'run:done',
        status: summary.status,
        startedAt: summary.startedAt,
        endedAt: summary.endedAt,
        functions: summary.functions.map((r) => {
          const location = run.location(r.id);
          const holders = location?.holders ?? [];
          return {
            id: r.id,
            hash: r.hash,
            status: r.status,
            holders,
            ...(grants && location && grantFor(grants.issuer, location, grants.submitter)),
          };
        }),
      }),
    ),
  ];
  return () => {
    for (const off of offs) off();
  };
}

/**
 * Output pieces held for a submitter that does not take `task:output`: merged per function and attempt (the
 * run's OutputBook kept them within the budget, so a merged attempt passes the submitter's validator), taken by
 * the attempt's end event. An attempt that never ends on the wire (a straggler copy that lost) keeps its entry
 * until the forwarding stops; bounded by the run's attempts.
 */
class HeldOutput {
  private readonly byFunction = new Map<
    string,
    { attempt: number; peer: string; lines: WireAttemptOutput['lines'][number][]; droppedLines: number }[]
  >();

  add(id: string, piece: WireAttemptOutput): void {
    let held = this.byFunction.get(id);
    if (!held) {
      held = [];
      this.byFunction.set(id, held);
    }
    const same = held.find((h) => h.attempt === piece.attempt && h.peer === piece.peer);
    if (same) {
      for (const line of piece.lines) same.lines.push(line);
      same.droppedLines += piece.droppedLines;
    } else held.push({ ...piece, lines: [...piece.lines] });
  }

  /** The held output of `id`'s attempt `attempt` (the first peer's, if copies of one attempt printed). */
  take(id: string, attempt: number): WireAttemptOutput | undefined {
    const held = this.byFunction.get(id);
    const i = held?.findIndex((h) => h.attempt === attempt) ?? -1;
    if (!held || i < 0) return undefined;
    const [output] = held.splice(i, 1);
    if (held.length === 0) this.byFunction.delete(id);
    return output;
  }
}

/** The phases the run's history holds for `id`'s attempt on `peer`, as an end event's field. */
function phasesOf(run: MeshRun, id: string, attempt: number, peer: string): { phases?: AttemptPhases } {
  const history = run.record(id).history;
  for (let k = history.length - 1; k >= 0; k--) {
    const a = history[k]!;
    if (a.attempt === attempt && a.peer === peer) return a.phases ? { phases: a.phases } : {};
  }
  return {};
}

/** The record's verification outcome, as an end event's field (set before the end: verify-record.ts). */
export function verificationOf(run: RunController, id: string): { verification?: FunctionVerification } {
  const verification = run.record(id).verification;
  return verification ? { verification } : {};
}

/** The error a `run:rejected` event stands for. */
export function rejectionError(event: Extract<WireRunEvent, { kind: 'run:rejected' }>): Error {
  return event.issues && event.issues.length > 0
    ? new DagValidationError(event.issues)
    : new HandoutError(event.message);
}

/** Replays one wire event into the submitter's run. `coordinator` names the peer in errors. */
export function applyWireEvent(run: MeshRun, event: WireRunEvent, coordinator: string): void {
  switch (event.kind) {
    case 'task:queued':
      run.markQueued(event.id);
      return;
    case 'task:started':
      run.markStarted(event.id, event.attempt, event.peer, event.at);
      return;
    case 'task:succeeded': {
      if (event.output) run.markOutput(event.id, event.output);
      if (event.verification) run.markVerification(event.id, event.verification);
      if (event.phases) run.markPhases(event.id, event.attempt, event.peer, event.phases);
      const known = run.location(event.id);
      const tickets = mergeTickets(known?.tickets, [event.peer], event.ticket && [event.ticket]);
      const digest = event.digest ?? known?.digest;
      run.setLocation(event.id, {
        hash: event.hash,
        size: event.size,
        holders: [...new Set([event.peer, ...(known?.holders ?? [])])],
        ...(digest && { digest }),
        ...(tickets && { tickets }),
      });
      run.markSucceeded(event.id, undefined, { cached: event.cached, peer: event.peer, at: event.at });
      return;
    }
    case 'task:failed': {
      if (event.output) run.markOutput(event.id, event.output);
      if (event.verification && event.final) run.markVerification(event.id, event.verification);
      if (event.phases) run.markPhases(event.id, event.attempt, event.peer, event.phases);
      const error = taskErrorFor(
        event.id,
        event.attempt,
        event.reason,
        event.message,
        event.stack,
        event.peer,
      );
      run.markFailed(event.id, error, event.final, event.at);
      return;
    }
    case 'task:retried':
      run.markRetried(event.id, event.attempt, event.delayMs);
      return;
    case 'peer:quarantined':
      run.noteQuarantined({ peer: event.peer, reason: event.reason, at: event.at });
      return;
    case 'task:output':
      run.markOutput(event.id, {
        attempt: event.attempt,
        peer: event.peer,
        lines: event.lines,
        droppedLines: event.droppedLines,
      });
      return;
    case 'task:skipped':
      run.markSkipped(event.id, event.because);
      return;
    case 'task:attempt':
      // A late disagreement (verification rides along) revises the attempt and the function's record.
      if (event.verification) run.markVerification(event.id, event.verification);
      run.upsertAttempt(
        event.id,
        {
          attempt: event.attempt,
          peer: event.peer,
          startedAt: event.startedAt,
          ...(event.endedAt !== undefined && { endedAt: event.endedAt }),
          ...(event.error !== undefined && { error: event.error }),
          ...(event.link !== undefined && { link: event.link }),
          ...(event.fetchedFrom !== undefined && { fetchedFrom: event.fetchedFrom }),
        },
        event.verification !== undefined,
      );
      return;
    case 'task:waiting':
      run.markWaiting(event.id, event.unmet, event.message);
      return;
    case 'run:rejected':
      run.failAll(rejectionError(event), 'unsatisfiable', coordinator);
      return;
    case 'run:done':
      for (const f of event.functions) {
        if (f.holders.length > 0) {
          run.addHolders(f.id, f.hash, f.holders, {
            ...(f.digest && { digest: f.digest }),
            ...(f.tickets && { tickets: f.tickets }),
          });
        }
        if (run.isEnded(f.id)) continue;
        // Reconcile what the events did not say (e.g. functions cancelled with the run).
        if (f.status === 'cancelled') run.markCancelled(f.id);
        else if (f.status === 'succeeded')
          run.markSucceeded(f.id, undefined, { cached: true, peer: f.holders[0] });
      }
      // Anything still open is a failure the events did not carry.
      run.failAll(
        new HandoutError(`coordinator '${coordinator}' ended run '${run.id}' as ${event.status}`),
        'peer-lost',
        coordinator,
      );
      return;
  }
}
