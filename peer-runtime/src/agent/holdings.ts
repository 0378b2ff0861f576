/**
 * What a peer agent holds: results in its ResultStore (and the bytes still being written there), `cache: false`
 * results kept in memory for `transientTtlMs`, and the decoded values of recent results. It resolves an
 * assignment's inputs (inline, local, or fetched from the listed holders) and serves other peers' fetches.
 */

import type { FetchFailure, MeshPort } from '../mesh/port.js';
import type { FetchTicket, InputLocation, TaskAssignment } from '../protocol/messages.js';
import { decodeValue } from '../protocol/value-codec.js';
import type { ResultStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';

/** Decoded values kept per generation (see `remember`). */
const RECENT_VALUES = 4096;

export interface AgentHoldingsOptions {
  readonly port: MeshPort;
  readonly store: ResultStore;
  readonly fetchTimeoutMs: number;
  readonly transientTtlMs: number;
  /** Keep fetched inputs in the store. */
  readonly keepFetched: boolean;
  /** A hash was stored that the coordinators cannot know of (a fetched input): announce it. */
  readonly onAnnounce: (hash: string) => void;
  /** A result of our own was stored; `coordinator` learns of it from the completion, the others do not. */
  readonly onStoredFor?: (hash: string, coordinator: string) => void;
  /** Where failed store reads are told (debug). Default: silentLogger. */
  readonly logger?: Logger;
}

/**
 * One input's value (and, when it was fetched, the peer it came from), or the hash nobody could provide with
 * why each holder tried did not (`failures`: missing, timeout, unreachable with the link error).
 */
export type InputValue =
  | { ok: true; value: unknown; from?: string }
  | { ok: false; hash: string; failures?: readonly FetchFailure[] };

/** The location of one producer's result in an assignment (a short list: a linear search is the fast way). */
export function inputOf(a: TaskAssignment, producer: string): InputLocation | undefined {
  for (const loc of a.inputs) if (loc.producer === producer) return loc;
  return undefined;
}

/**
 * A copy of `s` that holds no other string alive. A string decoded from a message is often a slice of a string
 * as long as the whole message (the CBOR decoder extracts a message's strings in one piece and hands out slices),
 * so keeping one 64-character hash kept a ~6 KB message body; a peer keeps a hash per stored result in its store
 * and in `announced`, ~400 B per result that way. Concatenation then slicing makes V8 copy the characters into a
 * string of their own (the slice points into that copy, 65 characters, not into the message).
 */
export function ownString(s: string): string {
  return ` ${s}`.slice(1);
}

export class AgentHoldings {
  /** Hashes the coordinators were told of (or learned from completions) and that were stored. */
  readonly announced = new Set<string>();
  /**
   * Decoded values of recent results, so a chain of functions on this peer skips decode and store reads. Two
   * generations instead of an LRU: deleting from the front of a Map leaves holes that `keys().next()` walks, which
   * made a per-completion eviction cost grow with the history.
   */
  private recent = new Map<string, unknown>();
  private older = new Map<string, unknown>();
  /** Bytes written to the store but not yet confirmed there, so a fetch in between still finds them. */
  private readonly writing = new Map<string, Uint8Array>();
  private readonly transient = new Map<string, { bytes: Uint8Array; timer: ReturnType<typeof setTimeout> }>();

  constructor(private readonly options: AgentHoldingsOptions) {}

  remember(hash: string, value: unknown): void {
    this.recent.set(hash, value);
    if (this.recent.size >= RECENT_VALUES / 2) {
      this.older = this.recent;
      this.recent = new Map();
    }
  }

  forget(hash: string): void {
    this.recent.delete(hash);
    this.older.delete(hash);
  }

  isWriting(hash: string): boolean {
    return this.writing.has(hash);
  }

  /**
   * The value of one producer of `a` when it is at hand without waiting (a recent result of this peer, or inline
   * in the assignment); undefined when it must be read or fetched (`inputValue`).
   */
  inputValueNow(producer: string, a: TaskAssignment): InputValue | undefined {
    const loc = inputOf(a, producer);
    if (!loc) return { ok: false, hash: `(no location for input '${producer}')` };
    if (this.recent.has(loc.hash)) return { ok: true, value: this.recent.get(loc.hash) };
    if (this.older.has(loc.hash)) return { ok: true, value: this.older.get(loc.hash) };
    if (loc.inline !== undefined) {
      const value = decodeValue(loc.inline);
      this.remember(loc.hash, value);
      return { ok: true, value };
    }
    return undefined;
  }

  /** The value of one producer of `a`, or the hash nobody could provide. */
  async inputValue(producer: string, a: TaskAssignment): Promise<InputValue> {
    const now = this.inputValueNow(producer, a);
    if (now !== undefined) return now;
    const loc = inputOf(a, producer)!;
    let bytes = await this.localBytes(loc.hash);
    let from: string | undefined;
    if (bytes === undefined) {
      const { port } = this.options;
      const holders: string[] = [];
      const tickets: (FetchTicket | undefined)[] = [];
      loc.holders.forEach((h, k) => {
        if (h === port.peerId) return;
        holders.push(h);
        tickets.push(loc.tickets?.[k]);
      });
      const failures: FetchFailure[] = [];
      // The port refuses bytes that do not match the digest and asks the next holder (fetch-grants.ts).
      const fetched = await port.fetch(
        loc.hash,
        holders,
        this.options.fetchTimeoutMs,
        { ...(loc.digest && { digest: loc.digest }), ...(loc.tickets && { tickets }) },
        failures,
      );
      if (fetched === undefined) return { ok: false, hash: loc.hash, failures };
      bytes = fetched.bytes;
      from = fetched.from;
      // Kept (and announced) only when checked against the digest the coordinator recorded: unchecked bytes
      // must not land under a hash other runs will be served from.
      if (this.options.keepFetched && loc.digest !== undefined) this.keep(loc.hash, bytes, true);
    }
    const value = decodeValue(bytes);
    this.remember(loc.hash, value);
    return from === undefined ? { ok: true, value } : { ok: true, value, from };
  }

  /**
   * Stores a result; `announce` for results the coordinators cannot know of (they learn the others from
   * completions). `reportedTo`: the coordinator the completion goes to (the others hear of it in `peer:status`).
   */
  keep(decodedHash: string, bytes: Uint8Array, announce: boolean, reportedTo?: string): void {
    // Kept as long as the result (store key, `announced`): its own copy, not a slice of the assignment message.
    const hash = ownString(decodedHash);
    this.writing.set(hash, bytes);
    const written = (): void => {
      if (this.writing.get(hash) === bytes) this.writing.delete(hash);
    };
    // One `then` with both handlers: a promise per stored result, not three.
    this.options.store.put(hash, bytes).then(() => {
      written();
      this.announced.add(hash);
      if (announce) this.options.onAnnounce(hash);
      else if (reportedTo !== undefined) this.options.onStoredFor?.(hash, reportedTo);
    }, written);
  }

  /** Keeps a `cache: false` result fetchable for `transientTtlMs`, outside the store. */
  keepTransient(hash: string, bytes: Uint8Array): void {
    const old = this.transient.get(hash);
    if (old) clearTimeout(old.timer);
    const timer = setTimeout(() => this.transient.delete(hash), this.options.transientTtlMs);
    (timer as { unref?: () => void }).unref?.();
    this.transient.set(hash, { bytes, timer });
  }

  /** Answers a `result:fetch` (admission.ts checked the sender's ticket first). */
  async serveFetch(from: string, requestId: number, hash: string): Promise<void> {
    const bytes = await this.localBytes(hash);
    const message =
      bytes === undefined
        ? { type: 'result:missing' as const, requestId, hash }
        : { type: 'result:data' as const, requestId, hash, bytes };
    this.options.port.post(from, message);
  }

  close(): void {
    for (const t of this.transient.values()) clearTimeout(t.timer);
    this.transient.clear();
  }

  /** Answers a refused `result:fetch` as missing, so the fetcher moves on at once instead of timing out. */
  refuseFetch(from: string, requestId: number, hash: string): void {
    this.options.port.post(from, { type: 'result:missing', requestId, hash });
  }

  /** The bytes of `hash` if this peer holds them (store, being written, or transient); undefined otherwise. */
  heldBytes(hash: string): Promise<Uint8Array | undefined> {
    return this.localBytes(hash);
  }

  private async localBytes(hash: string): Promise<Uint8Array | undefined> {
    const bytes = this.writing.get(hash) ?? this.transient.get(hash)?.bytes;
    if (bytes !== undefined) return bytes;
    // A store that fails to read (a corrupt record, a disk error) is a miss: the caller fetches the bytes from
    // another holder or answers result:missing, which is what a requester can act on. Told at debug.
    return this.options.store.get(hash).catch((error: unknown) => {
      this.options.logger?.debug('result store read failed; treated as a miss', {
        hash,
        reason: String(error),
      });
      return undefined;
    });
  }
}
