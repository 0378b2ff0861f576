/**
 * The parts that follow what the dispatcher does (dispatcher.ts) and that it reports to: outcomes (failures found
 * while dispatching) and result verification (replicas, exclusions, verified inputs). They need the dispatcher
 * themselves, so they are made after it and attached once with `Dispatcher.follow`.
 */
import type { TaskError } from '../errors.js';
import type { InputLoc, Outbox } from './assignments.js';
import type { Dispatch } from './peer-loads.js';
import type { RunState } from './run-state.js';

/** Where failures found while dispatching go (outcomes.ts `Outcomes`). */
export interface DispatchOutcomes {
  /** A dispatch could not be sent: its peer is unreachable. */
  peerLost(peerId: string, reason: string): void;
  /** Final failure from the allocation side (unsatisfiable for too long, or no allowed peer can fetch an input). */
  failFinal(run: RunState, index: number, error: TaskError): void;
}

/** What placement asks of result verification (verify.ts `Verification`). */
export interface DispatchVerification {
  /** A function was placed (not a copy): verification adds its replicas to `outbox`. */
  placed(d: Dispatch, outbox: Outbox): void;
  /** Peers a function must not be placed on, with no fallback (replicas go to distinct peers). */
  exclude(run: RunState, index: number): ReadonlySet<string> | undefined;
  /** Whether function `index` of `run` is verified. */
  covers(run: RunState, index: number): boolean;
  /**
   * Where a verified result may be had: only the peers that agreed on it, never the directory's other claimed
   * holders; undefined when no quorum accepted it.
   */
  acceptedLocation(hash: string): InputLoc | undefined;
}

/**
 * The parts that follow what the dispatcher does and that need the dispatcher themselves, so they are made after
 * it and attached once (`Dispatcher.follow`), in the open, instead of through closures that name fields not yet
 * assigned.
 */
export interface DispatchFollowers {
  readonly outcomes: DispatchOutcomes;
  /** Default: no run is verified. */
  readonly verification?: DispatchVerification;
}

/** Before `follow`: a dispatcher that reports a failure to no one is a wiring bug, said loudly. */
export const UNATTACHED: DispatchOutcomes = {
  peerLost: (peerId) => {
    throw new Error(`Dispatcher: lost peer '${peerId}' before Dispatcher.follow attached its outcomes`);
  },
  failFinal: (run, index) => {
    throw new Error(
      `Dispatcher: function '${run.id(index)}' failed before Dispatcher.follow attached its outcomes`,
    );
  },
};
