/**
 * What a peer keeps beside its result cache besides results, opened before its agent and coordinator start:
 * the receipts of its cached results (agent/receipt-book.ts) and, on a coordinator, its trust ledger
 * (coordinator/ledger-store.ts). Where they live is the platform's (`#platform`: files in the cache directory on
 * Node, memory in browsers).
 */
import { openStateFile } from '#platform';
import { ReceiptBook } from '../agent/receipt-book.js';
import { LedgerStore } from '../coordinator/ledger-store.js';
import { TrustLedger } from '../coordinator/trust-ledger.js';
import type { ResultStore } from '../store/types.js';
import type { Logger } from '../telemetry/logger.js';

/** The cache's receipts, in the cache directory. */
export const RECEIPTS_FILE = 'receipts.jsonl';
/** A coordinator's trust ledger, in its cache directory. */
export const LEDGER_FILE = 'trust-ledger.json';

/** The receipts of a contributing peer's cache, loaded (receipts of results no longer held are dropped). */
export async function openReceipts(
  store: ResultStore,
  location: string | undefined,
  logger: Logger,
  ttlMs?: number,
): Promise<ReceiptBook> {
  const onError = (error: unknown): void =>
    logger.warn('cache receipts could not be read or written', { reason: String(error) });
  // Only beside a cache of the platform's own (in memory: none; a caller's store: it is the caller's to keep).
  const persistence =
    location === undefined ? undefined : openStateFile('lines', location, '', RECEIPTS_FILE, onError);
  const book = new ReceiptBook({
    ...(persistence && { persistence }),
    ...(ttlMs !== undefined && { ttlMs }),
  });
  let held: Set<string> | undefined;
  try {
    held = new Set(await store.keys());
  } catch {
    held = undefined; // a store that cannot list its keys: keep every saved receipt (each is checked anyway)
  }
  await book.load(held);
  return book;
}

/**
 * A coordinator's trust ledger with its saved records, kept saved (`ledger`: one given in the options, else a
 * new one). `location`: the cache directory (undefined: the platform's default for this peer id).
 */
export async function openLedger(
  ledger: TrustLedger | undefined,
  location: string | undefined,
  peerId: string,
  logger: Logger,
): Promise<{ ledger: TrustLedger; store: LedgerStore | undefined }> {
  const onError = (error: unknown): void =>
    logger.warn('trust ledger could not be read or written', { reason: String(error) });
  const chosen = ledger ?? new TrustLedger();
  const persistence = openStateFile('json', location, peerId, LEDGER_FILE, onError);
  if (!persistence) return { ledger: chosen, store: undefined };
  const store = await LedgerStore.open(chosen, persistence);
  logger.info('trust ledger kept', { path: store.path, peers: Object.keys(chosen.snapshot()).length });
  return { ledger: chosen, store };
}
