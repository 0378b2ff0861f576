/**
 * What the pool knows of each distinct piece of code: a small id (workers are sent a code once and then named it
 * by id, so a batch of a thousand calls to one function carries its source once), and the mean time one call
 * of it takes in a worker, which bounds how many calls of it travel in one batch (pool-core.ts).
 */
import type { CodeRef } from '../dag/types.js';
import type { WireCodeDef } from './messages.js';

/** Weights of the older mean and of a new batch's time per call in the running mean. */
const OLD_WEIGHT = 0.7;
const NEW_WEIGHT = 0.3;

export class CodeTable {
  private readonly ids = new Map<string, number>();
  private readonly defs: WireCodeDef[] = [];
  /** Mean time per call of each code id (a batch's time in its worker over its size), ms; undefined until measured. */
  private readonly means: (number | undefined)[] = [];

  /** The id of `code`, given on first sight; the same source (or module and export) always gets the same id. */
  idOf(code: CodeRef): number {
    const key = code.kind === 'source' ? `s:${code.source}` : `m:${code.module}\0${code.export}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.defs.length;
      this.ids.set(key, id);
      this.defs.push([id, code]);
    }
    return id;
  }

  /** The definition a worker that has not seen code `id` is sent. */
  def(id: number): WireCodeDef {
    return this.defs[id]!;
  }

  /** The measured mean ms per call of code `id`, if any batch of it has finished. */
  meanMs(id: number): number | undefined {
    return this.means[id];
  }

  /**
   * Learns from a finished batch that took `busyMs` in its worker: each code in it is charged an even share per
   * call (a batch mixing codes cannot tell them apart). `calls` is the batch in order; a run of consecutive calls
   * of one code is one observation.
   */
  observe(calls: readonly { readonly codeId: number }[], busyMs: number): void {
    const per = busyMs / calls.length;
    let last = -1;
    for (const { codeId: id } of calls) {
      if (id === last) continue;
      last = id;
      const old = this.means[id];
      this.means[id] = old === undefined ? per : old * OLD_WEIGHT + per * NEW_WEIGHT;
    }
  }
}
