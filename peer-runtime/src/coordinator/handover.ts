/**
 * A run taken over from a lost coordinator (coordinator failover, issue 13), on the new coordinator's side. The
 * submitter resubmits the same run with what it knew (`SubmitOptions.resume`): each function's attempts so far,
 * and the peer its attempt was running on at the loss. Two things follow:
 *
 * - **Attempt numbers continue.** A function's first attempt here is numbered after the ones the submitter saw,
 *   so the run's records read on (attempt 1 on the old coordinator, 2 here) instead of holding two attempts 1.
 *   Only the numbering carries over: the retry budget (`retries`) counts the failures this coordinator sees,
 *   because it cannot check the submitter's account of earlier ones, and a budget too generous after a loss is
 *   the safer mistake (failing a good function for someone else's count would not be).
 * - **Work in flight is handed back, not run again.** A function that was running at the loss is assigned, once
 *   ready here, to the very peer that ran it, marked `adopt`: that peer joins the execution still running (or
 *   answers from the result it stored meanwhile) instead of running it again (agent/handover.ts). A peer that is
 *   gone or not (yet) known here, or a run with result verification (its replicas must be independent), gets the
 *   usual placement.
 *
 * The hints are believed only as placement preferences: they name functions of the run (checked here) and peers
 * that must be live contributors here, and a hint that does not hold costs one ordinary execution.
 */
import { HandoutError } from '../errors.js';
import type { RunResume } from '../protocol/messages.js';
import { addToOutbox, type Dispatcher, type Outbox } from './dispatcher.js';
import type { RunState } from './run-state.js';

export interface HandoverDeps {
  readonly dispatcher: Dispatcher;
  /** Whether the function is under result verification (never adopted). */
  readonly verified: (run: RunState, index: number) => boolean;
}

export class Handover {
  /** Per run: function index → the peer that was running it at the loss (deleted once used). */
  private readonly resumed = new WeakMap<RunState, Map<number, string>>();

  constructor(private readonly deps: HandoverDeps) {}

  /**
   * Takes the submitter's account of a moved run into `run` before it starts. Throws a HandoutError naming the
   * function when the account names one the DAG does not have (the submission is then refused).
   */
  resume(run: RunState, resume: RunResume | undefined): void {
    if (!resume || resume.functions.length === 0) return;
    const peers = new Map<number, string>();
    for (const f of resume.functions) {
      const i = run.index.get(f.id);
      if (i === undefined)
        throw new HandoutError(
          `run '${run.run.id}': resume names function '${f.id}', which is not in the DAG`,
        );
      run.carryAttempts(i, f.attempts);
      if (f.peer !== undefined) peers.set(i, f.peer);
    }
    this.resumed.set(run, peers);
  }

  /**
   * A ready function that was running at the loss goes back to its peer, marked `adopt`. Returns false when it
   * was not, or cannot be (the caller places it as usual).
   */
  place(run: RunState, i: number): boolean {
    const peers = this.resumed.get(run);
    const peer = peers?.get(i);
    if (peer === undefined) return false;
    peers!.delete(i);
    const { dispatcher } = this.deps;
    if (!dispatcher.live(peer) || this.deps.verified(run, i)) return false;
    const assignment = dispatcher.dispatch(run, i, peer, false, false);
    if (!assignment) return false;
    const outbox: Outbox = new Map();
    addToOutbox(outbox, peer, run.key, { ...assignment, adopt: true });
    dispatcher.send(outbox);
    return true;
  }
}
