/**
 * The receipts a peer holds for its cached results (coordinator/receipts.ts): kept beside the result store, sent
 * with the hashes when the peer announces its holdings (agent/status.ts), so a coordinator that restarted can
 * check which of them this mesh accepted. The agent cannot check a receipt itself (it lacks the mesh key), and
 * need not: it takes them only from coordinators (agent/admission.ts), and a coordinator checks every receipt it
 * is shown.
 *
 * Persistence is the platform's (`ReceiptPersistence`: a file in the cache directory on Node,
 * platform/receipt-file.node.ts; none in browsers, where receipts live as long as the tab). Bounded: past
 * `maxReceipts` the oldest go first, and a receipt whose result left the store is dropped when the store's
 * keys are next compared (`retainOnly`).
 */
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js';
import type { ResultReceipt } from '../protocol/messages.js';
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
  readonly mac: string;
}

function save(r: ResultReceipt): SavedReceipt {
  return {
    hash: r.hash,
    digest: bytesToHex(r.digest),
    verified: r.verified,
    issuer: r.issuer,
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
}

export class ReceiptBook {
  private readonly byHash = new Map<string, ResultReceipt>();
  private readonly max: number;
  /** Appends since the last rewrite: past twice the book's size, the file is rewritten (compacted). */
  private appended = 0;

  constructor(private readonly options: ReceiptBookOptions = {}) {
    this.max = options.maxReceipts ?? 200_000;
  }

  /** Reads what was saved; `held`: the hashes the store holds now (receipts of others are dropped). */
  async load(held?: ReadonlySet<string>): Promise<void> {
    const saved = (await this.options.persistence?.load()) ?? [];
    for (const value of saved) {
      const r = savedReceipt(value);
      if (r && (held === undefined || held.has(r.hash))) this.set(r);
    }
    if (saved.length !== this.byHash.size)
      this.options.persistence?.rewrite([...this.byHash.values()].map(save));
  }

  get(hash: string): ResultReceipt | undefined {
    return this.byHash.get(hash);
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The receipts of those of `hashes` that have one. */
  for(hashes: readonly string[]): ResultReceipt[] {
    const out: ResultReceipt[] = [];
    for (const h of hashes) {
      const r = this.byHash.get(h);
      if (r) out.push(r);
    }
    return out;
  }

  keep(receipt: ResultReceipt): void {
    const old = this.byHash.get(receipt.hash);
    // The same receipt again (another run of a cached function): nothing to write.
    if (old && old.verified === receipt.verified && old.issuer === receipt.issuer) return;
    // A verified receipt is worth more than an unverified one for the same bytes: never downgrade it.
    if (old?.verified && !receipt.verified && sameDigest(old.digest, receipt.digest)) return;
    this.set(receipt);
    const p = this.options.persistence;
    if (!p) return;
    if (++this.appended > 2 * Math.max(1024, this.byHash.size)) {
      this.appended = 0;
      p.rewrite([...this.byHash.values()].map(save));
    } else p.append(save(receipt));
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
