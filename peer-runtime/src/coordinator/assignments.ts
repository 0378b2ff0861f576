/**
 * The `task:assign` side of dispatching: where an input can be had (`InputLoc`), how an assignment carries it
 * (`wireInput`), and the outbox that batches assignments per peer and run before they are sent (`sendOutbox`).
 */
import type { GrantIssuer } from '../mesh/fetch-grants.js';
import type { MeshPort } from '../mesh/port.js';
import type { TaskAssignment, InputLocation as WireInput } from '../protocol/messages.js';

/** Where one input can be had: its hash, size, live holders, digest and (small results) its bytes. */
export interface InputLoc {
  readonly hash: string;
  readonly size: number;
  readonly holders: string[];
  readonly inline?: Uint8Array;
  readonly digest?: Uint8Array;
}

/** How long the fetch tickets of an assignment stay valid: it may wait in the peer's queue for a while. */
export const ASSIGNMENT_TICKET_MS = 10 * 60_000;

/**
 * An input as the assignment carries it, as small as it can be (thousands of assignments a second are encoded
 * here and decoded on peers): no bytes when the peer holds the result itself (it has it in memory or in its
 * store), the bytes without holders when they ride inline, else the holders to fetch from with the digest to
 * check their bytes against and, when this coordinator issues grants, a ticket per holder (fetch-grants.ts).
 *
 * With grants, a peer holding the input itself is listed alone: tickets for the other holders would cost an
 * HMAC each on the hottest path (chains of functions on one peer) for the rare case of an eviction in between,
 * which the peer reports as `input-lost` and the coordinator re-places.
 */
export function wireInput(producer: string, loc: InputLoc, peer: string, grants?: GrantIssuer): WireInput {
  if (loc.holders.includes(peer)) {
    return { producer, hash: loc.hash, holders: grants ? [peer] : loc.holders };
  }
  if (loc.inline) return { producer, hash: loc.hash, holders: [], inline: loc.inline };
  return {
    producer,
    hash: loc.hash,
    holders: loc.holders,
    ...(loc.digest && { digest: loc.digest }),
    ...(grants && { tickets: grants.tickets(loc.holders, loc.hash, peer, ASSIGNMENT_TICKET_MS) }),
  };
}

/** Assignments to send, by peer, then by run (one `task:assign` per pair). */
export type Outbox = Map<string, Map<string, TaskAssignment[]>>;

export function addToOutbox(outbox: Outbox, peer: string, runKey: string, assignment: TaskAssignment): void {
  let perRun = outbox.get(peer);
  if (!perRun) {
    perRun = new Map();
    outbox.set(peer, perRun);
  }
  let batch = perRun.get(runKey);
  if (!batch) {
    batch = [];
    perRun.set(runKey, batch);
  }
  batch.push(assignment);
}

/** Sends one `task:assign` per peer and run; a peer that cannot be reached goes to `onUnreachable`. */
export function sendOutbox(
  port: MeshPort,
  messages: ReadonlyMap<string, ReadonlyMap<string, TaskAssignment[]>>,
  onUnreachable: (peerId: string, error: unknown) => void,
): void {
  for (const [peer, perRun] of messages) {
    for (const [runId, assignments] of perRun) {
      port
        // streamOutput: this coordinator takes `task:output` (output-relay.ts); older peers ignore the field.
        .send(peer, { type: 'task:assign', runId, assignments, streamOutput: true })
        .catch((error: unknown) => onUnreachable(peer, error));
    }
  }
}
