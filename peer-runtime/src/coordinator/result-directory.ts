/**
 * `ResultDirectory`: which peers hold which content hash — the coordinator's map of the mesh's caches. Fed by
 * completions (`task:result`), by peers' announcements (`peer:status` added/removed) and by losses (a peer gone,
 * a holder that answered `result:missing`). Small results also keep their bytes here (the ones that rode inline
 * with the completion), bounded by `maxInlineBytes` with least-recently-used eviction, so they travel inline to
 * consumers and survive the loss of the peer that produced them.
 */

import { digestOf } from '../mesh/fetch-grants.js';

export interface DirectoryEntry {
  readonly holders: ReadonlySet<string>;
  /** Encoded size in bytes (0 when only announced, size unknown). */
  readonly size: number;
  readonly inline: Uint8Array | undefined;
  /**
   * SHA-256 of the bytes, from the first accepted result for this hash (fetchers check what holders serve
   * against it). Undefined when only announced by a trusted peer.
   */
  readonly digest: Uint8Array | undefined;
}

export interface ResultDirectoryOptions {
  /** Most bytes of inline results kept in memory. Default 64 MiB. */
  readonly maxInlineBytes?: number;
  /** Most digests kept for hashes nobody holds any more (oldest dropped first). Default 200 000 (~30 MB). */
  readonly maxDigests?: number;
}

interface Entry {
  holders: Set<string>;
  size: number;
  inline: Uint8Array | undefined;
  digest: Uint8Array | undefined;
}

export class ResultDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly byPeer = new Map<string, Set<string>>();
  /** Inline results in recency order (a Map iterates in insertion order; re-inserting marks recent use). */
  private readonly inlineOrder = new Map<string, number>();
  private inlineBytes = 0;
  private readonly maxInlineBytes: number;
  /**
   * Digests of accepted results, kept when their last holder leaves: a peer that comes back under a new id (a
   * reloaded page) and announces its cache can then still be checked, so its holdings count (coordinator.ts
   * `onStatus`). Insertion order; the oldest go first past `maxDigests`.
   */
  private readonly recorded = new Map<string, Uint8Array>();
  private readonly maxDigests: number;

  constructor(options: ResultDirectoryOptions = {}) {
    this.maxInlineBytes = options.maxInlineBytes ?? 64 * 1024 * 1024;
    this.maxDigests = options.maxDigests ?? 200_000;
  }

  /** The recorded digest of a hash (while it is held, or remembered after), if any. */
  digestOf(hash: string): Uint8Array | undefined {
    return this.entries.get(hash)?.digest ?? this.recorded.get(hash);
  }

  /**
   * The entry of a hash. A lookup does not refresh the recency of inline bytes: lookups happen several times per
   * dispatch, and re-inserting into the order map each time cost more than the rest of the directory together.
   * Recency is refreshed when a result is (re)added, which is when it was produced or announced again.
   */
  get(hash: string): DirectoryEntry | undefined {
    return this.entries.get(hash);
  }

  /** Whether fetched bytes of this hash can be checked: its digest is recorded, or derivable from bytes here. */
  checkable(hash: string): boolean {
    const e = this.entries.get(hash);
    return this.recorded.has(hash) || (e !== undefined && (e.digest !== undefined || e.inline !== undefined));
  }

  /** Whether the result can be had: some holder, or its bytes here. */
  has(hash: string): boolean {
    const e = this.entries.get(hash);
    return e !== undefined && (e.holders.size > 0 || e.inline !== undefined);
  }

  add(hash: string, peerId: string, size: number, inline?: Uint8Array, digest?: Uint8Array): void {
    const e = this.entry(hash);
    if (size > 0) e.size = size;
    // The first accepted result's digest stays: a later one differing is a non-deterministic function (or a
    // liar), and what fetchers were told must not move under them.
    if (e.digest === undefined) {
      e.digest = digest ?? this.recorded.get(hash);
      if (digest !== undefined) this.record(hash, digest);
    }
    e.holders.add(peerId);
    let held = this.byPeer.get(peerId);
    if (!held) {
      held = new Set();
      this.byPeer.set(peerId, held);
    }
    held.add(hash);
    if (inline !== undefined) this.addInline(hash, inline);
  }

  addInline(hash: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.maxInlineBytes) return;
    const e = this.entry(hash);
    e.size = bytes.byteLength;
    if (e.inline === undefined) {
      e.inline = bytes;
      this.inlineBytes += bytes.byteLength;
    }
    this.inlineOrder.delete(hash);
    this.inlineOrder.set(hash, bytes.byteLength);
    for (const [victim, size] of this.inlineOrder) {
      if (this.inlineBytes <= this.maxInlineBytes) break;
      this.inlineOrder.delete(victim);
      this.inlineBytes -= size;
      const v = this.entries.get(victim);
      if (v) {
        // The bytes go; what they were stays, so fetches from their holders can still be checked.
        if (v.digest === undefined) {
          v.digest = digestOf(v.inline!);
          this.record(victim, v.digest);
        }
        v.inline = undefined;
        this.dropIfEmpty(victim, v);
      }
    }
  }

  /** One holder no longer has the hash (evicted, answered missing). */
  remove(hash: string, peerId: string): void {
    const e = this.entries.get(hash);
    if (!e) return;
    e.holders.delete(peerId);
    this.byPeer.get(peerId)?.delete(hash);
    this.dropIfEmpty(hash, e);
  }

  /** No holder has it any more (every fetch failed); inline bytes, if any, stay. */
  removeHolders(hash: string): void {
    const e = this.entries.get(hash);
    if (!e) return;
    for (const peer of e.holders) this.byPeer.get(peer)?.delete(hash);
    e.holders.clear();
    this.dropIfEmpty(hash, e);
  }

  /** A peer left: forget what it held. Returns the hashes that are now nowhere to be had. */
  removePeer(peerId: string): string[] {
    const held = this.byPeer.get(peerId);
    this.byPeer.delete(peerId);
    const lost: string[] = [];
    for (const hash of held ?? []) {
      const e = this.entries.get(hash);
      if (!e) continue;
      e.holders.delete(peerId);
      if (e.holders.size === 0 && e.inline === undefined) lost.push(hash);
      this.dropIfEmpty(hash, e);
    }
    return lost;
  }

  /** Hashes held by a peer (as far as the directory knows). */
  heldBy(peerId: string): ReadonlySet<string> {
    return this.byPeer.get(peerId) ?? new Set();
  }

  get size(): number {
    return this.entries.size;
  }

  private entry(hash: string): Entry {
    let e = this.entries.get(hash);
    if (!e) {
      e = { holders: new Set(), size: 0, inline: undefined, digest: undefined };
      this.entries.set(hash, e);
    }
    return e;
  }

  private record(hash: string, digest: Uint8Array): void {
    if (this.recorded.has(hash)) return;
    this.recorded.set(hash, digest);
    if (this.recorded.size > this.maxDigests) {
      const oldest = this.recorded.keys().next().value;
      if (oldest !== undefined) this.recorded.delete(oldest);
    }
  }

  private dropIfEmpty(hash: string, e: Entry): void {
    if (e.holders.size === 0 && e.inline === undefined) this.entries.delete(hash);
  }
}
