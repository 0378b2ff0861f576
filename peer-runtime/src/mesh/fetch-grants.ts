/**
 * Fetch grants and result digests: who may fetch a result from a holder, and which bytes a fetcher may believe.
 *
 * - **Tickets.** A holder serves `result:fetch` for a hash only with a ticket the coordinator issued for that
 *   hash and that fetcher: `mac = HMAC-SHA256(holderKey, hash ‖ 0 ‖ fetcher ‖ 0 ‖ exp)`, cut to 16 bytes, with
 *   `holderKey = HKDF-SHA256(meshKey, salt 'handout/fetch-key/v1', info holderId)`. Coordinators hold the mesh key
 *   (the signaling server gives it to `coordinate` members) and derive every holder's key; each member gets only
 *   its own key in its welcome (`MeshSnapshot.fetchKey`). So a holder can check tickets, nobody but a coordinator
 *   can mint them, and a key that leaks from one holder mints tickets for that holder only.
 * - **Digests.** The producing peer reports SHA-256 of its result's bytes with `task:result` (the coordinator
 *   computes it itself for inline results); the coordinator hands it out with every location of that result, and
 *   a fetcher keeps, stores or uses fetched bytes only if they match. A holder that serves other bytes is counted
 *   and the fetch moves to the next holder, so forged bytes never land under another submitter's hash.
 *
 * Why an HMAC and not a signature: checking one costs a few microseconds (thousands of fetches per second), and
 * the key hierarchy already exists (the mesh key). Tickets are bearer grants for one fetcher id: a ticket seen
 * by another peer is useless to it, since the holder checks the ticket against the authenticated sender.
 */
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { FetchTicket } from '../protocol/messages.js';

/** The HKDF salt of holder keys; the signaling server derives the same keys (signaling-server/src/mesh-key.ts). */
export const FETCH_KEY_SALT = 'handout/fetch-key/v1';
const MAC_BYTES = 16;
const encoder = new TextEncoder();

/** SHA-256 of a result's encoded bytes. */
export function digestOf(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  let diff = 0;
  for (let i = 0; i < a.byteLength; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** The key a holder checks its tickets with (and a coordinator mints them with). */
export function holderKey(meshKey: Uint8Array, holderId: string): Uint8Array {
  return hkdf(sha256, meshKey, encoder.encode(FETCH_KEY_SALT), encoder.encode(holderId), 32);
}

function mac(key: Uint8Array, hash: string, fetcher: string, exp: number): Uint8Array {
  return hmac(sha256, key, encoder.encode(`${hash}\0${fetcher}\0${exp}`)).subarray(0, MAC_BYTES);
}

/** Mints tickets (coordinator side): one holder key derived per holder, kept. */
export class GrantIssuer {
  private readonly keys = new Map<string, Uint8Array>();

  constructor(private readonly meshKey: Uint8Array) {}

  /** A ticket letting `fetcher` fetch `hash` from `holder` until `now + ttlMs`. */
  ticket(holder: string, hash: string, fetcher: string, ttlMs: number): FetchTicket {
    let key = this.keys.get(holder);
    if (!key) {
      key = holderKey(this.meshKey, holder);
      if (this.keys.size > 65_536) this.keys.clear();
      this.keys.set(holder, key);
    }
    // Seconds, so the MACed text is short and the same on every platform.
    const exp = Math.ceil((Date.now() + ttlMs) / 1000);
    return { exp, mac: mac(key, hash, fetcher, exp) };
  }

  /** One ticket per holder (aligned with `holders`), for `fetcher`. */
  tickets(holders: readonly string[], hash: string, fetcher: string, ttlMs: number): FetchTicket[] {
    return holders.map((h) => this.ticket(h, hash, fetcher, ttlMs));
  }
}

export type TicketVerdict = 'ok' | 'missing' | 'expired' | 'forged';

/** Checks tickets (holder side) with the key from this member's welcome. */
export class GrantChecker {
  constructor(private readonly key: Uint8Array) {}

  check(hash: string, fetcher: string, ticket: FetchTicket | undefined): TicketVerdict {
    if (ticket === undefined) return 'missing';
    if (ticket.exp * 1000 < Date.now()) return 'expired';
    return sameBytes(mac(this.key, hash, fetcher, ticket.exp), ticket.mac) ? 'ok' : 'forged';
  }
}

/** What a fetch may believe: the digest the coordinator recorded, and a ticket per holder (aligned). */
export interface FetchGrant {
  readonly digest?: Uint8Array;
  readonly tickets?: readonly (FetchTicket | undefined)[];
}

/** How long a submitter's grants to fetch its results last (from the run events that carry them). */
export const SUBMITTER_TICKET_MS = 60 * 60_000;

/**
 * The digest and tickets a submitter's copy of a location carries: the digest recorded (or derived from the
 * inline bytes), and with an issuer a ticket per holder for `fetcher`.
 */
export function grantFor(
  issuer: GrantIssuer | undefined,
  location: {
    readonly hash: string;
    readonly holders: readonly string[];
    readonly inline?: Uint8Array;
    readonly digest?: Uint8Array;
  },
  fetcher: string,
): { digest?: Uint8Array; tickets?: FetchTicket[] } {
  const digest = location.digest ?? (location.inline && digestOf(location.inline));
  return {
    ...(digest && { digest }),
    ...(issuer &&
      location.holders.length > 0 && {
        tickets: issuer.tickets(location.holders, location.hash, fetcher, SUBMITTER_TICKET_MS),
      }),
  };
}
