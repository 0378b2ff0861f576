/**
 * The fetching half of a MeshPort (port.ts): `result:fetch` requests with ids unique on this transport, each
 * timed into the LinkMeter, answered by `result:data` / `result:missing` from the holder asked (a reply from any
 * other peer is not taken for it), and, under a grant, checked against the digest the coordinator recorded.
 */
import type { BatchableMessage, FetchTicket } from '../protocol/messages.js';
import { digestOf, type FetchGrant, sameBytes } from './fetch-grants.js';
import type { LinkMeter } from './link-meter.js';

export interface FetchedResult {
  readonly bytes: Uint8Array;
  readonly from: string;
}

/**
 * Why one holder did not give a fetch its bytes: it answered it has none (`missing`), said nothing in time
 * (`timeout`), or could not be reached at all (`unreachable`: no link opened; `error` says why, e.g. a
 * LinkSetupError naming ICE failure or timeout).
 */
export interface FetchFailure {
  readonly peer: string;
  /** `forged`: it served bytes that did not match the digest the coordinator recorded (fetch-grants.ts). */
  readonly kind: 'missing' | 'timeout' | 'unreachable' | 'forged';
  readonly error?: Error;
}

interface PendingFetch {
  readonly peer: string;
  /** `answered`: the holder replied (data or missing), as opposed to a timeout or a lost connection. */
  resolve(bytes: Uint8Array | undefined, answered: boolean): void;
}

export class PortFetches {
  private readonly pending = new Map<number, PendingFetch>();
  private readonly forgedListeners = new Set<(holder: string, hash: string) => void>();
  private nextRequest = 1;
  /** Fetched bytes that did not match their digest, so far. */
  forgedBytes = 0;

  constructor(
    private readonly links: LinkMeter,
    private readonly send: (peerId: string, message: BatchableMessage) => Promise<void>,
  ) {}

  /** Takes `message` if it answers one of our fetches from the peer asked; false when it is not ours. */
  answer(from: string, message: BatchableMessage): boolean {
    if (message.type !== 'result:data' && message.type !== 'result:missing') return false;
    const pending = this.pending.get(message.requestId);
    if (!pending || pending.peer !== from) return false;
    this.pending.delete(message.requestId);
    pending.resolve(message.type === 'result:data' ? message.bytes : undefined, true);
    return true;
  }

  /** `peerId` disconnected: the fetches waiting on it will never be answered. */
  peerGone(peerId: string): void {
    for (const [id, pending] of this.pending) {
      if (pending.peer === peerId) {
        this.pending.delete(id);
        pending.resolve(undefined, false);
      }
    }
  }

  onForged(listener: (holder: string, hash: string) => void): () => void {
    this.forgedListeners.add(listener);
    return () => this.forgedListeners.delete(listener);
  }

  /** See MeshPort.fetch. */
  async fetch(
    hash: string,
    holders: readonly string[],
    timeoutMs: number,
    grant?: FetchGrant,
    failures?: FetchFailure[],
  ): Promise<FetchedResult | undefined> {
    for (let k = 0; k < holders.length; k++) {
      const holder = holders[k]!;
      const got = await this.fetchFrom(hash, holder, timeoutMs, grant?.tickets?.[k]);
      if (!(got instanceof Uint8Array)) {
        failures?.push(got);
        continue;
      }
      if (grant?.digest && !sameBytes(digestOf(got), grant.digest)) {
        this.forgedBytes++;
        for (const l of [...this.forgedListeners]) l(holder, hash);
        failures?.push({ peer: holder, kind: 'forged' });
        continue;
      }
      return { bytes: got, from: holder };
    }
    return undefined;
  }

  private fetchFrom(
    hash: string,
    peer: string,
    timeoutMs: number,
    ticket: FetchTicket | undefined,
  ): Promise<Uint8Array | FetchFailure> {
    return new Promise((resolve) => {
      const requestId = this.nextRequest++;
      this.links.fetchStarted(peer);
      // The clock starts once the request is on the channel: opening the link has bounds of its own (the
      // transport's connect timeout and retries), and when it fails the fetch says why rather than "timeout".
      let timer: ReturnType<typeof setTimeout> | undefined;
      const startClock = () => {
        if (!this.pending.has(requestId)) return;
        timer = setTimeout(() => {
          if (!this.pending.delete(requestId)) return;
          this.links.fetchEnded(peer, 0, false);
          resolve({ peer, kind: 'timeout' });
        }, timeoutMs);
      };
      this.pending.set(requestId, {
        peer,
        resolve: (bytes, answered) => {
          clearTimeout(timer);
          this.links.fetchEnded(peer, bytes?.byteLength ?? 0, answered);
          resolve(bytes ?? { peer, kind: answered ? 'missing' : 'timeout' });
        },
      });
      this.send(peer, { type: 'result:fetch', requestId, hash, ...(ticket && { ticket }) }).then(
        startClock,
        (error: unknown) => {
          if (!this.pending.delete(requestId)) return;
          clearTimeout(timer);
          this.links.fetchEnded(peer, 0, false);
          resolve({ peer, kind: 'unreachable', ...(error instanceof Error && { error }) });
        },
      );
    });
  }
}
