/**
 * `MeshRun`: the `Run` of a mesh run — a RunController whose results stay where they were produced. Records carry
 * no values until asked: `result(id)` uses the bytes that rode inline, or fetches them from a holder over a data
 * channel, decodes them, and keeps the value in the record. Used by the coordinator for embedded submissions and
 * by `submitRemote` for submissions over the mesh.
 */

import { RunController, type RunControllerOptions } from '../engine/run.js';
import { HandoutError, PeerError, TaskError } from '../errors.js';
import { decodeValue } from '../protocol/value-codec.js';
import type { MeshPort } from './port.js';

/** Where the result of one function can be had. */
export interface ResultLocation {
  readonly hash: string;
  readonly size: number;
  readonly holders: readonly string[];
  readonly inline?: Uint8Array;
}

export interface MeshRunOptions extends RunControllerOptions {
  /** How long one holder may take to answer a fetch. Default 30 000 ms. */
  readonly fetchTimeoutMs?: number;
}

export class MeshRun extends RunController {
  private readonly locations = new Map<string, ResultLocation>();
  private readonly fetchTimeoutMs: number;
  /** Set when the run was refused or lost as a whole: `result(id)` rejects with it. */
  private failure: Error | undefined;
  private readonly failedWithRun = new Set<string>();

  constructor(
    id: string,
    functions: readonly { readonly id: string; readonly hash: string }[],
    private readonly port: MeshPort,
    options: MeshRunOptions = {},
  ) {
    super(id, functions, options);
    this.fetchTimeoutMs = options.fetchTimeoutMs ?? 30_000;
  }

  location(id: string): ResultLocation | undefined {
    return this.locations.get(id);
  }

  setLocation(id: string, location: ResultLocation): void {
    this.locations.set(id, location);
  }

  /** Adds holders to a known location (from `run:done`). */
  addHolders(id: string, hash: string, holders: readonly string[]): void {
    const known = this.locations.get(id);
    const merged = [...new Set([...(known?.holders ?? []), ...holders])];
    this.locations.set(id, {
      hash,
      size: known?.size ?? 0,
      holders: merged,
      ...(known?.inline && { inline: known.inline }),
    });
  }

  /**
   * Ends every function not yet ended as failed with `error` (a refused submission, a lost coordinator), so
   * `done` resolves with status failed and `result(id)` rejects with `error` itself.
   */
  failAll(error: Error, reason: TaskError['reason'], peerId?: string): void {
    this.failure ??= error;
    for (const r of this.records()) {
      if (this.isEnded(r.id)) continue;
      this.failedWithRun.add(r.id);
      this.markFailed(r.id, new TaskError(r.id, r.attempts, reason, error.message, undefined, peerId), true);
    }
  }

  override async result(id: string): Promise<unknown> {
    try {
      await super.result(id);
    } catch (error) {
      throw this.failure && this.failedWithRun.has(id) ? this.failure : error;
    }
    const record = this.record(id);
    if (record.results !== undefined) return record.results;
    const location = this.locations.get(id);
    if (!location) throw new HandoutError(`run '${this.id}': no peer is known to hold the result of '${id}'`);
    let bytes = location.inline;
    if (bytes === undefined) {
      const fetched = await this.port.fetch(location.hash, location.holders, this.fetchTimeoutMs);
      if (fetched === undefined) {
        throw new PeerError(
          location.holders[0] ?? '',
          `run '${this.id}': the result of '${id}' (hash ${location.hash.slice(0, 12)}…) is on none of its holders (${location.holders.map((h) => `'${h}'`).join(', ') || 'none'})`,
        );
      }
      bytes = fetched.bytes;
    }
    const value = decodeValue(bytes);
    record.results = value;
    return value;
  }
}
