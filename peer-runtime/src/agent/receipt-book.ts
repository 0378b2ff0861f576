/**
 * The receipts a peer holds for its cached results (coordinator/receipts.ts): kept beside the result store, sent
 * with the hashes when the peer announces its holdings (agent/status.ts), so a coordinator that restarted can
 * check which of them this mesh accepted. The agent cannot check a receipt itself (it lacks the mesh key), and
 * need not: it takes them only from coordinators (agent/admission.ts), and a coordinator checks every receipt it
 * is shown.
 *
 * Persistence is the platform's (`ReceiptPersistence`: `receipts.jsonl` in the cache directory on Node,
 * platform/json-files.node.ts; an IndexedDB database beside the cache in browsers, platform/state-files.browser.ts).
 * Bounded: past `maxReceipts` the oldest go first, a receipt whose result left the store is dropped when the
 * book is loaded, and so is one older than `ttlMs` (coordinators would not believe it any more: receipts.ts),
 * at load and whenever the file is compacted. A receipt for the same bytes replaces the one held only when it is
 * verified where the old one was not, or when the old one is past half its life (a renewal).
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { ResultReceipt } from '../protocol/messages.js';
import { DEFAULT_RECEIPT_TTL_MS } from '../protocol/receipt-messages.js';
import { readReceipt } from '../protocol/validate.js';

/** Where receipts are saved: JSON values, one per receipt (the platform's JsonLinesFile fits). */
export interface ReceiptPersistence {
  /** The values saved before (what is not a receipt is skipped: a damaged line, a foreign writer). */
  load(): Promise<readonly unknown[]>;
  /** Saves one more (a later one for the same hash replaces an earlier one on load). Never throws. */
  append(value: unknown): void;
  /** Replaces everything saved (compaction). Never throws. */
  rewrite(values: readonly unknown[]): void;
  /** Waits for pending writes. */
  close(): Promise<void>;
}

/** A receipt as saved: bytes as hex. */
interface SavedReceipt {
  readonly hash: string;
  readonly digest: string;
  readonly verified: boolean;
  readonly issuer: string;
  readonly issuedAt?: number;
  readonly mac: string;
}

function save(r: ResultReceipt): SavedReceipt {
  return {
    hash: r.hash,
    digest: bytesToHex(r.digest),
    verified: r.verified,
    issuer: r.issuer,
    ...(r.issuedAt !== undefined && { issuedAt: r.issuedAt }),
    mac: bytesToHex(r.mac),
  };
}

/** A saved receipt back, or undefined when the value is not one (its MAC is for a coordinator to check). */
export function savedReceipt(value: unknown): ResultReceipt | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Partial<Record<keyof SavedReceipt, unknown>>;
  if (typeof v.digest !== 'string' || typeof v.mac !== 'string') return undefined;
  try {
    return readReceipt({ ...v, digest: hexToBytes(v.digest), mac: hexToBytes(v.mac) });
  } catch {
    return undefined; // not hex
  }
}

export interface ReceiptBookOptions {
  readonly persistence?: ReceiptPersistence;
  /** Most receipts kept (about 200 bytes each). Default 200 000. */
  readonly maxReceipts?: number;
  /**
   * How long after its issue a receipt is kept, ms: the receipt TTL of the mesh's coordinators (receipts.ts
   * DEFAULT_RECEIPT_TTL_MS, 30 days, unless the mesh owner chose another). Infinity: forever.
   */
  readonly ttlMs?: number;
  /** The clock (epoch ms). Default Date.now. */
  readonly now?: () => number;
}

export class ReceiptBook {
  private readonly byHash = new Map<string, ResultReceipt>();
  private readonly max: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** Appends since the last rewrite: past twice the book's size, the file is rewritten (compacted). */
  private appended = 0;

  constructor(private readonly options: ReceiptBookOptions = {}) {
    this.max = options.maxReceipts ?? 200_000;
    this.ttlMs = options.ttlMs ?? DEFAULT_RECEIPT_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Reads what was saved; `held`: the hashes the store holds now (receipts of others are dropped). */
  async load(held?: ReadonlySet<string>): Promise<void> {
    const saved = (await this.options.persistence?.load()) ?? [];
    for (const value of saved) {
      const r = savedReceipt(value);
      if (r && !this.expired(r) && (held === undefined || held.has(r.hash))) this.set(r);
    }
    if (saved.length !== this.byHash.size) this.compact();
  }

  /** Whether coordinators would refuse `r` as too old (one without an issue time: under a finite TTL). */
  expired(r: ResultReceipt): boolean {
    if (this.ttlMs === Number.POSITIVE_INFINITY) return false;
    return r.issuedAt === undefined || this.now() - r.issuedAt > this.ttlMs;
  }

  get(hash: string): ResultReceipt | undefined {
    return this.byHash.get(hash);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The receipts of those of `hashes` that have one still young enough to be believed. */
  for(hashes: readonly string[]): ResultReceipt[] {
    const out: ResultReceipt[] = [];
    for (const h of hashes) {
      const r = this.byHash.get(h);
      if (r && !this.expired(r)) out.push(r);
    }
    return out;
  }

  keep(receipt: ResultReceipt): void {
    const old = this.byHash.get(receipt.hash);
    if (old && !this.replaces(old, receipt)) return;
    this.set(receipt);
    const p = this.options.persistence;
    if (!p) return;
    if (++this.appended > 2 * Math.max(1024, this.byHash.size)) this.compact();
    else p.append(save(receipt));
  }

  /** Whether `next` should replace `old` for the same hash. */
  private replaces(old: ResultReceipt, next: ResultReceipt): boolean {
    const same = sameDigest(old.digest, next.digest);
    // A verified receipt is worth more than an unverified one for the same bytes: never downgrade it.
    if (same && old.verified && !next.verified) return false;
    if (!same || old.verified !== next.verified || old.issuer !== next.issuer) return true;
    // The same receipt again (another run of a cached function): written again only as a renewal, once the
    // old one is past half its life, so that a busy cache does not append a line per cache hit.
    return (next.issuedAt ?? 0) - (old.issuedAt ?? 0) > this.ttlMs / 2;
  }

  /** Rewrites the file with what is held, expired receipts left out. */
  private compact(): void {
    this.appended = 0;
    for (const [hash, r] of this.byHash) if (this.expired(r)) this.byHash.delete(hash);
    this.options.persistence?.rewrite([...this.byHash.values()].map(save));
  }

  forget(hash: string): void {
    this.byHash.delete(hash);
  }

  close(): Promise<void> {
    return this.options.persistence?.close() ?? Promise.resolve();
  }

  private set(receipt: ResultReceipt): void {
    this.byHash.delete(receipt.hash);
    this.byHash.set(receipt.hash, receipt);
    if (this.byHash.size > this.max) this.byHash.delete(this.byHash.keys().next().value!);
  }
}

function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}
