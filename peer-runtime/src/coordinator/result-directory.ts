/**
 * `ResultDirectory`: which peers hold which content hash — the coordinator's map of the mesh's caches. Fed by
 * completions (`task:result`), by peers' announcements (`peer:status` added/removed) and by losses (a peer gone,
 * a holder that answered `result:missing`). Small results also keep their bytes here (the ones that rode inline
 * with the completion), bounded by `maxInlineBytes` with least-recently-used eviction, so they travel inline to
 * consumers and survive the loss of the peer that produced them.
 */

import { digestOf } from '../mesh/fetch-grants.js';
import { type PackedBytes, packBytes, packedLength, unpackBytes } from '../mesh/packed-bytes.js';
import { type Queued, RecencyQueue } from './recency-queue.js';

export interface DirectoryEntry {
  /** The peers holding the hash (usually one). */
  readonly holders: Iterable<string>;
  readonly holderCount: number;
  /** Encoded size in bytes (0 when only announced, size unknown). */
  readonly size: number;
  /** The bytes that rode inline (a fresh copy at each read of small ones: mesh/packed-bytes.ts). */
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
  /** Most digests kept for hashes nobody holds any more (oldest dropped first). Default 200 000 (~20 MB). */
  readonly maxDigests?: number;
}

const NO_HOLDERS: readonly string[] = [];

/**
 * One hash's entry. The coordinator keeps one per result of every run it remembers, so its fields are the
 * cheapest form of each (issue 16, goal 2): one holder as its id and a Set only for several (most results have
 * one holder, and a Set costs ~150 B), the digest and small inline bytes packed into strings (packed-bytes.ts),
 * and its place in the inline recency order as a slot number rather than a Map entry.
 */
class Entry implements DirectoryEntry, Queued {
  held: string | Set<string> | undefined = undefined;
  size = 0;
  packedInline: PackedBytes | undefined = undefined;
  packedDigest: PackedBytes | undefined = undefined;
  queuedAt = 0;

  constructor(readonly hash: string) {}

  get holders(): Iterable<string> {
    const held = this.held;
    return held === undefined ? NO_HOLDERS : typeof held === 'string' ? [held] : held;
  }

  get holderCount(): number {
    const held = this.held;
    return held === undefined ? 0 : typeof held === 'string' ? 1 : held.size;
  }

  get inline(): Uint8Array | undefined {
    return this.packedInline === undefined ? undefined : unpackBytes(this.packedInline);
  }

  get digest(): Uint8Array | undefined {
    return this.packedDigest === undefined ? undefined : unpackBytes(this.packedDigest);
  }

  addHolder(peerId: string): void {
    const held = this.held;
    if (held === undefined) this.held = peerId;
    else if (typeof held === 'string') {
      if (held !== peerId) this.held = new Set([held, peerId]);
    } else held.add(peerId);
  }

  deleteHolder(peerId: string): void {
    const held = this.held;
    if (held === peerId) this.held = undefined;
    else if (typeof held === 'object') {
      held.delete(peerId);
      // Back to the single form, so an entry that once had two holders does not keep a Set for one.
      if (held.size === 1) this.held = held.values().next().value;
      else if (held.size === 0) this.held = undefined;
    }
  }
}

export class ResultDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly byPeer = new Map<string, Set<string>>();
  /** Entries with inline bytes, least recently (re)added first. */
  private readonly inlineOrder = new RecencyQueue<Entry>();
  private inlineBytes = 0;
  private readonly maxInlineBytes: number;
  /**
   * Digests of accepted results whose last holder left, so a peer that comes back under a new id (a reloaded
   * page) and announces its cache can then still be checked, so its holdings count (coordinator.ts `onStatus`).
   * An entry still held keeps its digest itself; it moves here when the entry goes. Insertion order; the oldest
   * go first past `maxDigests`.
   */
  private readonly recorded = new Map<string, PackedBytes>();
  private readonly maxDigests: number;

  constructor(options: ResultDirectoryOptions = {}) {
    this.maxInlineBytes = options.maxInlineBytes ?? 64 * 1024 * 1024;
    this.maxDigests = options.maxDigests ?? 200_000;
  }

  /** The recorded digest of a hash (while it is held, or remembered after), if any. */
  digestOf(hash: string): Uint8Array | undefined {
    const packed = this.entries.get(hash)?.packedDigest ?? this.recorded.get(hash);
    return packed === undefined ? undefined : unpackBytes(packed);
  }

  /**
   * The entry of a hash. A lookup does not refresh the recency of inline bytes: lookups happen several times per
   * dispatch. Recency is refreshed when a result is (re)added, which is when it was produced or announced again.
   */
  get(hash: string): DirectoryEntry | undefined {
    return this.entries.get(hash);
  }

  /** Whether fetched bytes of this hash can be checked: its digest is recorded, or derivable from bytes here. */
  checkable(hash: string): boolean {
    const e = this.entries.get(hash);
    return (
      this.recorded.has(hash) ||
      (e !== undefined && (e.packedDigest !== undefined || e.packedInline !== undefined))
    );
  }

  /** Whether the result can be had: some holder, or its bytes here. */
  has(hash: string): boolean {
    const e = this.entries.get(hash);
    return e !== undefined && (e.held !== undefined || e.packedInline !== undefined);
  }

  add(hash: string, peerId: string, size: number, inline?: Uint8Array, digest?: Uint8Array): void {
    const e = this.entry(hash);
    if (size > 0) e.size = size;
    // The first accepted result's digest stays: a later one differing is a non-deterministic function (or a
    // liar), and what fetchers were told must not move under them.
    if (e.packedDigest === undefined)
      e.packedDigest = digest !== undefined ? packBytes(digest) : this.recorded.get(hash);
    e.addHolder(peerId);
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
    if (e.packedInline === undefined) {
      e.packedInline = packBytes(bytes);
      this.inlineBytes += bytes.byteLength;
    }
    this.inlineOrder.touch(e);
    while (this.inlineBytes > this.maxInlineBytes) {
      const v = this.inlineOrder.takeOldest();
      if (v === undefined) break;
      this.inlineBytes -= packedLength(v.packedInline!);
      // The bytes go; what they were stays, so fetches from their holders can still be checked.
      if (v.packedDigest === undefined) v.packedDigest = packBytes(digestOf(unpackBytes(v.packedInline!)));
      v.packedInline = undefined;
      this.dropIfEmpty(v);
    }
  }

  /** One holder no longer has the hash (evicted, answered missing). */
  remove(hash: string, peerId: string): void {
    const e = this.entries.get(hash);
    if (!e) return;
    e.deleteHolder(peerId);
    this.byPeer.get(peerId)?.delete(hash);
    this.dropIfEmpty(e);
  }

  /** No holder has it any more (every fetch failed); inline bytes, if any, stay. */
  removeHolders(hash: string): void {
    const e = this.entries.get(hash);
    if (!e) return;
    for (const peer of e.holders) this.byPeer.get(peer)?.delete(hash);
    e.held = undefined;
    this.dropIfEmpty(e);
  }

  /** A peer left: forget what it held. Returns the hashes that are now nowhere to be had. */
  removePeer(peerId: string): string[] {
    const held = this.byPeer.get(peerId);
    this.byPeer.delete(peerId);
    const lost: string[] = [];
    for (const hash of held ?? []) {
      const e = this.entries.get(hash);
      if (!e) continue;
      e.deleteHolder(peerId);
      if (e.held === undefined && e.packedInline === undefined) lost.push(hash);
      this.dropIfEmpty(e);
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
      e = new Entry(hash);
      this.entries.set(hash, e);
    }
    return e;
  }

  private record(hash: string, digest: PackedBytes): void {
    // Re-inserted at the end: the newest loss is the last to be forgotten.
    this.recorded.delete(hash);
    this.recorded.set(hash, digest);
    if (this.recorded.size > this.maxDigests) {
      const oldest = this.recorded.keys().next().value;
      if (oldest !== undefined) this.recorded.delete(oldest);
    }
  }

  private dropIfEmpty(e: Entry): void {
    if (e.held !== undefined || e.packedInline !== undefined) return;
    this.entries.delete(e.hash);
    if (e.packedDigest !== undefined) this.record(e.hash, e.packedDigest);
  }
}
