/**
 * Small state files a Node peer keeps beside its result cache, in the cache directory: a JSON file replaced whole
 * (`openJsonFile`: the coordinator's `trust-ledger.json`, coordinator/ledger-store.ts) and a JSON-lines file
 * appended to (`openJsonLines`: the cache's `receipts.jsonl`, agent/receipt-book.ts). What the values mean and
 * how far they are believed is their owners' business; this file only reads and writes them.
 *
 * Writes are queued one after another and never awaited by the caller (off the hot path); `close()` waits for
 * them. A whole-file replacement goes to a file aside first and is renamed over the old one, so a crash mid-write
 * leaves the old file whole. A damaged line of a JSON-lines file (a crash mid-append) costs that one line.
 *
 * Why files and not the LMDB store: the store's keys are result hashes that it announces, counts and evicts by
 * size; a receipt or a ledger record is not a result and must be neither evicted as one nor listed as a holding.
 */
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonFile, JsonLinesFile } from './types.js';

/** Writes queued in order; a failed one is reported to `onError` and does not stop the next. */
class WriteQueue {
  private tail: Promise<void> = Promise.resolve();
  private made: Promise<unknown> | undefined;

  constructor(
    private readonly dir: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  push(write: () => Promise<void>): void {
    this.tail = this.tail
      .then(() => {
        this.made ??= mkdir(this.dir, { recursive: true });
        return this.made;
      })
      .then(write)
      .catch(this.onError);
  }

  drain(): Promise<void> {
    return this.tail;
  }
}

/** The text of a file, or undefined when there is none (other read errors are reported). */
async function readIfThere(path: string, onError: (error: unknown) => void): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') onError(error);
    return undefined;
  }
}

async function replaceFile(path: string, text: string): Promise<void> {
  const aside = `${path}.${process.pid}.tmp`;
  await writeFile(aside, text);
  await rename(aside, path);
}

/** `dir/name`, a JSON value replaced whole on every save. */
export function openJsonFile(dir: string, name: string, onError: (error: unknown) => void): JsonFile {
  const path = join(dir, name);
  const writes = new WriteQueue(dir, onError);
  return {
    path,
    async load() {
      const text = await readIfThere(path, onError);
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        onError(new Error(`${path} is damaged and was ignored: ${String(error)}`));
        return undefined;
      }
    },
    save(value) {
      const text = `${JSON.stringify(value)}\n`;
      writes.push(() => replaceFile(path, text));
    },
    close: () => writes.drain(),
  };
}

/** `dir/name`, one JSON value per line, appended to and now and then rewritten whole. */
export function openJsonLines(dir: string, name: string, onError: (error: unknown) => void): JsonLinesFile {
  const path = join(dir, name);
  const writes = new WriteQueue(dir, onError);
  /** The batch of appends not yet taken by its write (each write owns its batch: see `rewrite`). */
  let open: string[] | undefined;
  return {
    path,
    async load() {
      const text = await readIfThere(path, onError);
      const values: unknown[] = [];
      for (const line of text?.split('\n') ?? []) {
        if (line.length === 0) continue;
        try {
          values.push(JSON.parse(line));
        } catch {
          // A damaged line (a crash mid-append): that one value is lost, its owner copes (a receipt: recompute).
        }
      }
      return values;
    },
    append(value) {
      // Appends of one turn, and those made while a write is on its way, go as one write.
      const line = `${JSON.stringify(value)}\n`;
      if (open) {
        open.push(line);
        return;
      }
      const batch = [line];
      open = batch;
      writes.push(async () => {
        if (open === batch) open = undefined;
        if (batch.length === 0) return; // emptied by a rewrite queued after it
        await appendFile(path, batch.join(''));
      });
    },
    rewrite(values) {
      const text = values.map((v) => `${JSON.stringify(v)}\n`).join('');
      // The owner's values replace everything saved, appends not yet written included (they are among them).
      // A batch still open would otherwise take appends made after this call and write them before the rewrite,
      // which would then erase them: it is emptied, and later appends start a batch written after the rewrite.
      if (open) open.length = 0;
      open = undefined;
      writes.push(() => replaceFile(path, text));
    },
    close: () => writes.drain(),
  };
}
