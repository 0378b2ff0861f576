/**
 * `MeshRun`: the `Run` of a mesh run — a RunController whose results stay where they were produced. Records carry
 * no values until asked: `result(id)` uses the bytes that rode inline, or fetches them from a holder over a data
 * channel, decodes them, and keeps the value in the record. Used by the coordinator for embedded submissions and
 * by `submitRemote` for submissions over the mesh.
 */

import { HandoutError, PeerError, TaskError } from '../errors.js';
import type { FetchTicket } from '../protocol/messages.js';
import { decodeValue } from '../protocol/value-codec.js';
import { RunController, type RunControllerOptions } from '../run/run-controller.js';
import type { AttemptRecord, FunctionVerification, RunEvents } from '../run/types.js';
import type { FetchGrant } from './fetch-grants.js';
import { LocationBook } from './location-book.js';
import type { MeshPort } from './port.js';

/**
 * Events a mesh run has beyond the `Run` contract's: attempts outside the started → ended sequence (straggler
 * copies, lineage recomputes, copies that lost) and functions waiting for a peer that can run them.
 */
export interface MeshRunEvents {
  /**
   * An attempt was added to a function's history or closed (its `endedAt`/`error` set). With `verification`,
   * the attempt was revised after the function's outcome: a replica that answered after the quorum and lost
   * (coordinator/verify.ts `late`); its error replaces the one it was closed with, and the function's
   * verification record becomes `verification`.
   */
  'task:attempt': { id: string; attempt: AttemptRecord; verification?: FunctionVerification };
  /** No current peer meets the function's needs; it waits (`unmet` names the need) and fails after a while. */
  'task:waiting': { id: string; unmet: string; message: string };
}

type MutableAttempt = { -readonly [K in keyof AttemptRecord]: AttemptRecord[K] };

/** Where the result of one function can be had. */
export interface ResultLocation {
  readonly hash: string;
  readonly size: number;
  readonly holders: readonly string[];
  readonly inline?: Uint8Array;
  /** SHA-256 of the bytes, as the coordinator recorded it: fetched bytes are believed only if they match. */
  readonly digest?: Uint8Array;
  /** Grants to fetch from holders (a remote submitter's, from its run events), by holder id. */
  readonly tickets?: ReadonlyMap<string, FetchTicket>;
}

export interface MeshRunOptions extends RunControllerOptions {
  /** How long one holder may take to answer a fetch. Default 30 000 ms. */
  readonly fetchTimeoutMs?: number;
}

export class MeshRun extends RunController {
  /** Result locations by function position, in columns (location-book.ts). */
  private readonly locations: LocationBook;
  private readonly fetchTimeoutMs: number;
  /** Set when the run was refused or lost as a whole: `result(id)` rejects with it. */
  private failure: Error | undefined;
  private readonly failedWithRun = new Set<string>();
  private readonly waits = new Map<string, { unmet: string; message: string }>();
  private readonly meshListeners = new Map<keyof MeshRunEvents, Set<(payload: never) => void>>();
  /** Builds the error of a result no holder has any more (the coordinator may recompute it instead). */
  private lostResult: ((id: string, location: ResultLocation) => Promise<Uint8Array>) | undefined;

  constructor(
    id: string,
    functions: readonly { readonly id: string; readonly hash: string }[],
    private readonly port: MeshPort,
    options: MeshRunOptions = {},
  ) {
    super(id, functions, options);
    this.locations = new LocationBook(functions.length);
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 30_000;
  }

  /** Subscribes to the mesh-only events (see MeshRunEvents). Returns the unsubscribe function. */
  onMeshEvent<E extends keyof MeshRunEvents>(
    event: E,
    listener: (payload: MeshRunEvents[E]) => void,
  ): () => void {
    let set = this.meshListeners.get(event);
    if (!set) {
      set = new Set();
      this.meshListeners.set(event, set);
    }
    set.add(listener as (payload: never) => void);
    return () => set.delete(listener as (payload: never) => void);
  }

  /** What a function waits for, while it waits for a peer that can run it. */
  waitingFor(id: string): { unmet: string; message: string } | undefined {
    return this.waits.get(id);
  }

  /** The function waits for a peer meeting `unmet` (cleared when it starts or ends). */
  markWaiting(id: string, unmet: string, message: string): void {
    if (this.isEnded(id)) return;
    this.waits.set(id, { unmet, message });
    this.emitMesh('task:waiting', { id, unmet, message });
  }

  override markStarted(id: string, attempt: number, peer: string, at?: number): void {
    this.waits.delete(id);
    super.markStarted(id, attempt, peer, at);
  }

  /** The coordinator's side: `attempt` (an entry of the record's history) was added or closed. */
  noteAttempt(id: string, attempt: AttemptRecord): void {
    this.emitMesh('task:attempt', { id, attempt });
  }

  /**
   * The coordinator's side: `attempt`, closed already, was revised after the function's outcome together with
   * the function's verification record (a late disagreement: coordinator/verify.ts). Sent on to a remote
   * submitter as a `task:attempt` event carrying `verification`.
   */
  noteRevisedAttempt(id: string, attempt: AttemptRecord, verification: FunctionVerification): void {
    this.emitMesh('task:attempt', { id, attempt, verification });
  }

  /**
   * The submitter's side: adds an attempt to the history, or updates the one with the same attempt number and
   * peer (closing it). Kept in start order. `revised`: the coordinator revised a closed attempt (a late
   * disagreement), so its error replaces the one known here.
   */
  upsertAttempt(id: string, attempt: AttemptRecord, revised = false): void {
    const record = this.record(id);
    const known = record.history.find((h) => h.attempt === attempt.attempt && h.peer === attempt.peer) as
      | MutableAttempt
      | undefined;
    if (known) {
      if (attempt.endedAt !== undefined && known.endedAt === undefined) known.endedAt = attempt.endedAt;
      if (attempt.error !== undefined && (known.error === undefined || revised)) known.error = attempt.error;
      if (attempt.link !== undefined) known.link = attempt.link;
      if (attempt.fetchedFrom !== undefined) known.fetchedFrom = attempt.fetchedFrom;
    } else {
      const entry: MutableAttempt = { ...attempt };
      let at = record.history.length;
      while (at > 0 && record.history[at - 1]!.startedAt > entry.startedAt) at--;
      record.history.splice(at, 0, entry);
      if (entry.attempt > record.attempts) record.attempts = entry.attempt;
    }
    this.emitMesh('task:attempt', { id, attempt });
  }

  /**
   * What `result(id)` does when no holder of a succeeded function's result answers: the coordinator recomputes
   * it from lineage (embedded runs directly, remote runs through `result:recover`). Without a handler the call
   * fails with a PeerError naming the lost holders.
   */
  onLostResult(handler: (id: string, location: ResultLocation) => Promise<Uint8Array>): void {
    this.lostResult = handler;
  }

  /** Where the result of `id` can be had (a fresh object each call); undefined when nowhere known. */
  location(id: string): ResultLocation | undefined {
    const i = this.positionOf(id);
    return i === undefined ? undefined : this.locations.get(i, this.records()[i]!.hash);
  }

  /** Records where the result of `id` is (ignored for a function the run does not have: nothing asks for it). */
  setLocation(id: string, location: ResultLocation): void {
    const i = this.positionOf(id);
    if (i !== undefined) this.locations.set(i, this.records()[i]!.hash, location);
  }

  /** Adds holders to a known location (from `run:done`). */
  addHolders(
    id: string,
    hash: string,
    holders: readonly string[],
    grant: { digest?: Uint8Array; tickets?: readonly FetchTicket[] } = {},
  ): void {
    const known = this.location(id);
    const merged = [...new Set([...(known?.holders ?? []), ...holders])];
    const tickets = mergeTickets(known?.tickets, holders, grant.tickets);
    const digest = grant.digest ?? known?.digest;
    this.setLocation(id, {
      hash,
      size: known?.size ?? 0,
      holders: merged,
      ...(known?.inline && { inline: known.inline }),
      ...(digest && { digest }),
      ...(tickets && { tickets }),
    });
  }

  /**
   * The run's coordinator was lost and `to` takes over: attempts still open end with `why` (they go on, if at all,
   * on peers nobody listens to for this run), their functions wait again, and `run:coordinator-changed` follows
   * once the new coordinator spoke (`noteCoordinatorChanged`).
   */
  releaseRunning(from: string, why: string): void {
    for (const r of this.records()) {
      if (r.status !== 'running') continue;
      this.markFailed(
        r.id,
        new TaskError(r.id, r.attempts, 'peer-lost', why, undefined, r.peer ?? from),
        false,
      );
    }
  }

  noteCoordinatorChanged(change: RunEvents['run:coordinator-changed']): void {
    this.emit('run:coordinator-changed', change);
  }

  noteQuarantined(quarantine: RunEvents['peer:quarantined']): void {
    this.emit('peer:quarantined', quarantine);
  }

  /**
   * Ends every function not yet ended as failed with `error` (a refused submission, a lost coordinator), so
   * `done` resolves with status failed and `result(id)` rejects with `error` itself.
   */
  failAll(error: Error, reason: TaskError['reason'], peerId?: string): void {
    this.failure ??= error;
    for (const r of this.records()) {
      if (this.isEnded(r.id)) continue;
      this.failedWithRun.add(r.id);
      this.markFailed(r.id, new TaskError(r.id, r.attempts, reason, error.message, undefined, peerId), true);
    }
  }

  override async result(id: string): Promise<unknown> {
    try {
      await super.result(id);
    } catch (error) {
      throw this.failure && this.failedWithRun.has(id) ? this.failure : error;
    }
    const record = this.record(id);
    if (record.results !== undefined) return record.results;
    const location = this.location(id);
    if (!location) throw new HandoutError(`run '${this.id}': no peer is known to hold the result of '${id}'`);
    let bytes = location.inline;
    if (bytes === undefined) {
      const fetched =
        location.holders.length > 0
          ? await this.port.fetch(location.hash, location.holders, this.fetchTimeoutMs, grantOf(location))
          : undefined;
      if (fetched !== undefined) bytes = fetched.bytes;
      else if (this.lostResult) bytes = await this.lostResult(id, location);
      else throw lostResultError(this.id, id, location);
    }
    const value = decodeValue(bytes);
    record.results = value;
    return value;
  }

  private emitMesh<E extends keyof MeshRunEvents>(event: E, payload: MeshRunEvents[E]): void {
    const set = this.meshListeners.get(event);
    if (!set) return;
    for (const listener of set) {
      try {
        (listener as (p: MeshRunEvents[E]) => void)(payload);
      } catch {
        // A throwing listener must not derail the run it observes.
      }
    }
  }
}

/** Tickets by holder: `known`, plus `tickets` aligned with `holders` (newer grants replace older ones). */
export function mergeTickets(
  known: ReadonlyMap<string, FetchTicket> | undefined,
  holders: readonly string[],
  tickets: readonly FetchTicket[] | undefined,
): ReadonlyMap<string, FetchTicket> | undefined {
  if (!tickets) return known;
  const merged = new Map(known ?? []);
  holders.forEach((h, k) => {
    const t = tickets[k];
    if (t) merged.set(h, t);
  });
  return merged;
}

/** The fetch grant of a location: its digest, and its tickets aligned with its holders. */
export function grantOf(location: ResultLocation): FetchGrant {
  const { tickets } = location;
  return {
    ...(location.digest && { digest: location.digest }),
    ...(tickets && { tickets: location.holders.map((h) => tickets.get(h)) }),
  };
}

/**
 * The PeerError of a result whose holders all left or lost it, naming the function and the holders; `why` (e.g.
 * why the coordinator could not recompute it) is appended, `cause` kept.
 */
export function lostResultError(
  runId: string,
  id: string,
  location: ResultLocation,
  why?: string,
  cause?: unknown,
): PeerError {
  const holders = location.holders.map((h) => `'${h}'`).join(', ') || 'none left';
  return new PeerError(
    location.holders[0] ?? '',
    `run '${runId}': the result of '${id}' (hash ${location.hash.slice(0, 12)}…) is lost: none of its holders (${holders}) has it${why ? `; ${why}` : ''}`,
    cause === undefined ? undefined : { cause },
  );
}
