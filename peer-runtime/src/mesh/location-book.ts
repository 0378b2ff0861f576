/**
 * Where each function's result of one mesh run can be had (`ResultLocation` by function position), stored in
 * columns rather than as one object per function: a run of a million functions keeps a location for every one
 * of them until it is dropped, and an object with its holders array, a Map entry and the views of its bytes cost
 * ~220 B each (issue 16, goal 2). Here a location is four array slots: its holders (one id as a string, several as
 * an array), its size, and its inline bytes and digest packed (packed-bytes.ts). Its hash is the function's own
 * (the record's), kept apart only where a location names another one. Each read builds a fresh ResultLocation.
 */
import type { FetchTicket } from '../protocol/messages.js';
import type { ResultLocation } from './mesh-run.js';
import { type PackedBytes, packBytes, unpackBytes } from './packed-bytes.js';

const NO_HOLDERS: readonly string[] = [];

export class LocationBook {
  /** Holders by position: undefined = no location known; one holder as its id. */
  private readonly holders: (string | readonly string[] | undefined)[];
  private readonly sizes: Float64Array;
  private readonly inline: (PackedBytes | undefined)[];
  private readonly digests: (PackedBytes | undefined)[];
  /** Few locations carry tickets (a remote submitter's) or a hash other than their function's. */
  private readonly tickets = new Map<number, ReadonlyMap<string, FetchTicket>>();
  private readonly otherHashes = new Map<number, string>();

  constructor(n: number) {
    this.holders = new Array(n).fill(undefined);
    this.sizes = new Float64Array(n);
    this.inline = new Array(n).fill(undefined);
    this.digests = new Array(n).fill(undefined);
  }

  /** The location of function `i`, whose own hash is `hash`; undefined when none is known. */
  get(i: number, hash: string): ResultLocation | undefined {
    const held = this.holders[i];
    if (held === undefined) return undefined;
    const inline = this.inline[i];
    const digest = this.digests[i];
    const tickets = this.tickets.get(i);
    return {
      hash: this.otherHashes.get(i) ?? hash,
      size: this.sizes[i]!,
      holders: typeof held === 'string' ? [held] : held,
      ...(inline !== undefined && { inline: unpackBytes(inline) }),
      ...(digest !== undefined && { digest: unpackBytes(digest) }),
      ...(tickets && { tickets }),
    };
  }

  set(i: number, hash: string, location: ResultLocation): void {
    const { holders } = location;
    this.holders[i] = holders.length === 0 ? NO_HOLDERS : holders.length === 1 ? holders[0]! : [...holders];
    this.sizes[i] = location.size;
    this.inline[i] = location.inline && packBytes(location.inline);
    this.digests[i] = location.digest && packBytes(location.digest);
    if (location.tickets) this.tickets.set(i, location.tickets);
    else this.tickets.delete(i);
    if (location.hash !== hash) this.otherHashes.set(i, location.hash);
    else this.otherHashes.delete(i);
  }
}
