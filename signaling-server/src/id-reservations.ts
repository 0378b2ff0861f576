/**
 * Ids that must not be taken over. When a peer leaves, its id stays bound to its token's subject (`sub`, or
 * "unbound" for a token without one) for `reserveMs`; until then only a token with the same subject may take the
 * id. Without this, a contribute-only token could join under a crashed coordinator's id seconds later and receive
 * the cache announcements meant for it.
 */
import type { Refusal } from '@handout/peer-runtime/signaling';
import { idReserved, type Subject } from './registry-types.js';

interface Reservation {
  readonly subject: Subject;
  readonly until: number;
}

export interface IdReservationOptions {
  /** How long an id stays bound to its last subject after the peer leaves. */
  readonly reserveMs: number;
  /** Reservations kept per mesh; the oldest go first beyond it (bounds memory under id churn). */
  readonly maxPerMesh: number;
}

export class IdReservations {
  // Map<mesh, Map<id, …>>: structured keys, so no id (NUL, odd unicode) can collide with another mesh's.
  private readonly byMesh = new Map<string, Map<string, Reservation>>();

  constructor(private readonly options: IdReservationOptions) {}

  /** Binds `peerId` to `subject` from now until `now + reserveMs`. */
  reserve(mesh: string, peerId: string, subject: Subject, now: number): void {
    if (this.options.reserveMs <= 0) return;
    let ids = this.byMesh.get(mesh);
    if (!ids) {
      ids = new Map();
      this.byMesh.set(mesh, ids);
    }
    // Delete first so that insertion order stays the order of expiry (the sweep relies on it).
    ids.delete(peerId);
    ids.set(peerId, { subject, until: now + this.options.reserveMs });
    this.sweep(mesh, ids, now);
    while (ids.size > this.options.maxPerMesh) ids.delete(ids.keys().next().value as string);
  }

  /** Undefined when `subject` may take `peerId` now, else the refusal. */
  check(mesh: string, peerId: string, subject: Subject, now: number): Refusal | undefined {
    const ids = this.byMesh.get(mesh);
    if (!ids) return undefined;
    this.sweep(mesh, ids, now);
    const held = ids.get(peerId);
    if (!held || held.subject === subject) return undefined;
    return idReserved(mesh, peerId, held.subject, held.until - now);
  }

  /** The id is live again under its subject: the reservation is renewed when it next leaves. */
  release(mesh: string, peerId: string): void {
    const ids = this.byMesh.get(mesh);
    ids?.delete(peerId);
    if (ids?.size === 0) this.byMesh.delete(mesh);
  }

  size(): number {
    let n = 0;
    for (const ids of this.byMesh.values()) n += ids.size;
    return n;
  }

  clear(): void {
    this.byMesh.clear();
  }

  private sweep(mesh: string, ids: Map<string, Reservation>, now: number): void {
    for (const [id, r] of ids) {
      if (r.until > now) break;
      ids.delete(id);
    }
    if (ids.size === 0) this.byMesh.delete(mesh);
  }
}
