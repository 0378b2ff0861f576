/**
 * What a call printed that its worker gathered but did not post yet, kept where the pool can still read it after
 * the worker is gone: a SharedArrayBuffer both threads hold. Why: once pacing started (output-stream.ts), lines
 * wait in the worker up to PACE_MS; a call that then loops forever without printing (terminated by its timeout)
 * or exhausts its heap would take them down with its worker, since no timer of a busy worker ever runs. The
 * worker appends each line it holds back here at the moment it is printed, and empties the spill when it posts
 * them; when the pool terminates or loses the worker, it reads what is left (`read`) and treats it as the call's
 * last chunk.
 *
 * Layout: four Int32 cells (bytes used, the call's index in its batch, lines dropped since the last post, lines
 * that did not fit here), then UTF-8 text: the function id as a JSON string, then one JSON line per output line.
 * The byte count is published last (Atomics.store), so a reader racing a dying writer sees a whole prefix.
 *
 * Only where SharedArrayBuffer exists: always in Node's worker_threads, in browsers on cross-origin-isolated
 * pages. Elsewhere the documented loss remains (docs/telemetry.md).
 */
import type { OutputLine } from '../run/output.js';
import { isOutputChunk, type WireOutputChunk } from './output-stream.js';

/** Bytes of text a spill holds: above CHUNK_CHARS (8 Ki characters, which make a chunk leave) in UTF-8 and JSON. */
export const SPILL_BYTES = 64 * 1024;
const USED = 0;
const CALL = 1;
const DROPPED = 2;
const OVERFLOW = 3;
const HEADER_BYTES = 16;

/** A new spill buffer, for the pool to hand its worker. */
export function createSpillBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + SPILL_BYTES);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class OutputSpill {
  private readonly cells: Int32Array;
  private readonly bytes: Uint8Array;
  /** Worker side: bytes written so far (also in the USED cell). */
  private used = 0;

  constructor(buffer: SharedArrayBuffer) {
    this.cells = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.bytes = new Uint8Array(buffer, HEADER_BYTES);
  }

  /** Worker: nothing is held back any more (a chunk left, or a call begins). */
  empty(): void {
    this.used = 0;
    Atomics.store(this.cells, USED, 0);
  }

  /** Worker: `line` of call `call` (function `fn`) is held back; `dropped` lines were dropped since the last post. */
  hold(call: number, fn: string, line: OutputLine | undefined, dropped: number): void {
    if (this.used === 0) {
      this.cells[CALL] = call;
      this.cells[OVERFLOW] = 0;
      if (!this.append(JSON.stringify(fn))) return;
    }
    this.cells[DROPPED] = dropped;
    if (line !== undefined && !this.append(JSON.stringify(line))) this.cells[OVERFLOW]!++;
    Atomics.store(this.cells, USED, this.used);
  }

  /**
   * Pool: what was held back when the worker stopped, as a chunk; undefined when nothing was. The text comes
   * from a worker that may run hostile code: it must parse, and pass the same check as a posted chunk.
   */
  read(): WireOutputChunk | undefined {
    const used = Atomics.load(this.cells, USED);
    if (used <= 0 || used > this.bytes.length) return undefined;
    // Copied out first: decoding a view of shared memory is refused (and the worker may still be writing).
    const parts = decoder.decode(this.bytes.slice(0, used)).split('\n').slice(0, -1);
    let parsed: unknown[];
    try {
      parsed = parts.map((part) => JSON.parse(part) as unknown);
    } catch {
      return undefined;
    }
    const dropped = Math.max(0, this.cells[DROPPED]!) + Math.max(0, this.cells[OVERFLOW]!);
    const chunk = {
      handoutOutput: 1,
      call: this.cells[CALL],
      fn: parsed[0],
      lines: parsed.slice(1),
      droppedLines: dropped,
    };
    return isOutputChunk(chunk) ? chunk : undefined;
  }

  /** Appends `json` and a newline; false (nothing written) when it does not fit. */
  private append(json: string): boolean {
    const room = this.bytes.length - this.used;
    // encodeInto cannot write into shared memory in every engine: encode, then copy.
    const encoded = encoder.encode(`${json}\n`);
    if (encoded.length > room) return false;
    this.bytes.set(encoded, this.used);
    this.used += encoded.length;
    return true;
  }
}
