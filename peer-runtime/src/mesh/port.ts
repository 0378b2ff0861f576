/**
 * `MeshPort`: what the mesh components (coordinator, peer agent, remote runs) share on one transport.
 *
 * - **Batching.** Messages sent to one peer within one event-loop turn leave as a single `batch` message: a mesh
 *   running thousands of tiny functions per second would otherwise pay the per-message codec and framing cost
 *   for every completion and event (about 3× the throughput on the in-memory transport).
 * - **Loopback.** A transport cannot send to itself, but an embedded coordinator is often also a contributor or a
 *   submitter on the same peer; messages addressed to the local peer id are delivered to this port's listeners
 *   on the next turn, without encoding.
 * - **One fetch space.** `result:fetch` request ids are allocated here, so an agent and a submitter living on
 *   the same transport never mistake each other's replies.
 *
 * - **Link figures.** Every fetch is timed into the port's LinkMeter (link-meter.ts): round trips and bandwidth to
 *   the holders this peer fetches from, which peer agents report to their coordinators.
 *
 * One port per transport (`portOf` memoises it), so every component on a peer sees the same loopback and ids.
 */
import { PeerError } from '../errors.js';
import type { BatchableMessage, FetchTicket } from '../protocol/messages.js';
import type { DisconnectReason, Transport } from '../transport/types.js';
import { digestOf, type FetchGrant, sameBytes } from './fetch-grants.js';
import { LinkMeter } from './link-meter.js';

export type PortListener = (from: string, message: BatchableMessage) => void;

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

export interface MeshPort {
  readonly peerId: string;
  readonly transport: Transport;
  /**
   * Queues a message for `peerId` (this peer included); everything queued for one peer in this turn leaves as
   * one batch. Resolves when the batch was handed to the channel; rejects with PeerError when the peer is gone.
   */
  send(peerId: string, message: BatchableMessage): Promise<void>;
  /**
   * `send` for callers that do not wait for the outcome (completions, events, cancels): no promise is made per
   * message, which at thousands of messages a second is a good share of the garbage.
   */
  post(peerId: string, message: BatchableMessage): void;
  onMessage(listener: PortListener): () => void;
  /** Transport disconnects, forwarded. */
  onDisconnect(listener: (peerId: string, reason: DisconnectReason) => void): () => void;
  /**
   * Asks each holder in turn for the bytes stored under `hash`; undefined when none has them (missing, gone or
   * silent for `timeoutMs`). With a grant, each request carries that holder's ticket, and bytes that do not match
   * the grant's digest are refused (counted in `forgedBytes`, reported to `onForged` listeners) and the next
   * holder is asked: forged bytes never reach the caller.
   */
  fetch(
    hash: string,
    holders: readonly string[],
    timeoutMs: number,
    grant?: FetchGrant,
    /** When given, receives why each holder tried failed, in order. */
    failures?: FetchFailure[],
  ): Promise<FetchedResult | undefined>;
  /** Fetched bytes that did not match their digest, so far. */
  readonly forgedBytes: number;
  /** Told of each holder that served bytes not matching the digest. */
  onForged(listener: (holder: string, hash: string) => void): () => void;
  /** Round trips and bandwidth to the peers this port fetched from (each fetch is timed). */
  readonly links: LinkMeter;
}

/**
 * Runs `fn` on a later turn of the event loop, after pending I/O callbacks, so that completions arriving
 * together are flushed together. `setImmediate` where it exists (Node): `setTimeout(0)` is clamped to 1 ms there.
 */
export const nextTurn: (fn: () => void) => void =
  typeof globalThis.setImmediate === 'function'
    ? (fn) => {
        globalThis.setImmediate(fn);
      }
    : (fn) => {
        setTimeout(fn, 0);
      };

const ports = new WeakMap<Transport, MeshPort>();

/** The port of a transport (created on first use, then shared). */
export function portOf(transport: Transport): MeshPort {
  let port = ports.get(transport);
  if (!port) {
    port = createPort(transport);
    ports.set(transport, port);
  }
  return port;
}

interface Outbox {
  messages: BatchableMessage[];
  /** Made on the first `send` of the batch (a `post` needs none). */
  waiters: { resolve: () => void; reject: (error: unknown) => void; promise: Promise<void> } | undefined;
}

const ignore = (): void => {};

/** A `result:data` of at least this many bytes leaves on its own rather than in a batch (see `sendBox`). */
export const BULK_ALONE_BYTES = 16 * 1024;

const isBulk = (m: BatchableMessage): boolean =>
  m.type === 'result:data' && m.bytes.byteLength >= BULK_ALONE_BYTES;

interface PendingFetch {
  readonly peer: string;
  /** `answered`: the holder replied (data or missing), as opposed to a timeout or a lost connection. */
  resolve(bytes: Uint8Array | undefined, answered: boolean): void;
}

function createPort(transport: Transport): MeshPort {
  const self = transport.localPeerId;
  const listeners = new Set<PortListener>();
  const disconnectListeners = new Set<(peerId: string, reason: DisconnectReason) => void>();
  const outboxes = new Map<string, Outbox>();
  const fetches = new Map<number, PendingFetch>();
  const forgedListeners = new Set<(holder: string, hash: string) => void>();
  let forgedBytes = 0;
  let nextRequest = 1;
  let flushScheduled = false;
  const links = new LinkMeter(self, (peer) => transport.ping(peer));

  const deliver = (from: string, message: BatchableMessage): void => {
    if (message.type === 'result:data' || message.type === 'result:missing') {
      const pending = fetches.get(message.requestId);
      if (pending && pending.peer === from) {
        fetches.delete(message.requestId);
        pending.resolve(message.type === 'result:data' ? message.bytes : undefined, true);
        return;
      }
    }
    for (const listener of [...listeners]) {
      try {
        listener(from, message);
      } catch {
        // One component's bug must not keep the message from the others.
      }
    }
  };

  transport.onMessage((from, message) => {
    if (message.type === 'batch') {
      for (const inner of message.messages) deliver(from, inner);
    } else if (message.type !== 'hello' && message.type !== 'ping' && message.type !== 'pong') {
      deliver(from, message);
    }
  });

  transport.on('peer:disconnected', ({ peerId, reason }) => {
    // Fetches waiting on that peer will never be answered.
    for (const [id, pending] of fetches) {
      if (pending.peer === peerId) {
        fetches.delete(id);
        pending.resolve(undefined, false);
      }
    }
    for (const listener of [...disconnectListeners]) listener(peerId, reason);
  });

  const flush = (): void => {
    flushScheduled = false;
    const boxes = [...outboxes];
    outboxes.clear();
    for (const [peerId, box] of boxes) {
      if (peerId === self) {
        for (const m of box.messages) deliver(self, m);
        box.waiters?.resolve();
        continue;
      }
      const sent = sendBox(peerId, box.messages);
      if (box.waiters) sent.then(box.waiters.resolve, box.waiters.reject);
      // Posted, not sent: nobody asked to know. A failed send means the connection dropped, and the drop is
      // what the roles act on (the coordinator re-places the peer's work, the agent's tasks are re-run).
      else sent.catch(ignore);
    }
  };

  /**
   * One batch of what was queued for `peerId`, except large `result:data` replies: those leave alone, so the
   * transport can send them in its bulk lane (framed-sender.ts), where they no longer hold back the batch of
   * control messages queued with them, or one queued after them.
   */
  const sendBox = (peerId: string, messages: BatchableMessage[]): Promise<void> => {
    let bulk: BatchableMessage[] | undefined;
    let rest = messages;
    if (messages.some(isBulk)) {
      bulk = messages.filter(isBulk);
      rest = messages.filter((m) => !isBulk(m));
    }
    const sends: Promise<void>[] = [];
    if (rest.length > 0)
      sends.push(
        transport.send(peerId, rest.length === 1 ? rest[0]! : { type: 'batch' as const, messages: rest }),
      );
    if (bulk) for (const m of bulk) sends.push(transport.send(peerId, m));
    return sends.length === 1 ? sends[0]! : Promise.all(sends).then(ignore);
  };

  const queue = (peerId: string, message: BatchableMessage): Outbox => {
    let box = outboxes.get(peerId);
    if (!box) {
      box = { messages: [], waiters: undefined };
      outboxes.set(peerId, box);
    }
    box.messages.push(message);
    if (!flushScheduled) {
      flushScheduled = true;
      nextTurn(flush);
    }
    return box;
  };

  const send = (peerId: string, message: BatchableMessage): Promise<void> => {
    const box = queue(peerId, message);
    if (!box.waiters) {
      let resolve!: () => void;
      let reject!: (error: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Most callers fire and forget; those who care attach their own handler to the returned promise.
      promise.catch(ignore);
      box.waiters = { resolve, reject, promise };
    }
    return box.waiters.promise;
  };

  const post = (peerId: string, message: BatchableMessage): void => {
    queue(peerId, message);
  };

  const fetchFrom = (
    hash: string,
    peer: string,
    timeoutMs: number,
    ticket: FetchTicket | undefined,
  ): Promise<Uint8Array | FetchFailure> =>
    new Promise((resolve) => {
      const requestId = nextRequest++;
      links.fetchStarted(peer);
      // The clock starts once the request is on the channel: opening the link has bounds of its own (the
      // transport's connect timeout and retries), and when it fails the fetch says why rather than "timeout".
      let timer: ReturnType<typeof setTimeout> | undefined;
      const startClock = () => {
        if (!fetches.has(requestId)) return;
        timer = setTimeout(() => {
          if (!fetches.delete(requestId)) return;
          links.fetchEnded(peer, 0, false);
          resolve({ peer, kind: 'timeout' });
        }, timeoutMs);
      };
      fetches.set(requestId, {
        peer,
        resolve: (bytes, answered) => {
          clearTimeout(timer);
          links.fetchEnded(peer, bytes?.byteLength ?? 0, answered);
          resolve(bytes ?? { peer, kind: answered ? 'missing' : 'timeout' });
        },
      });
      send(peer, { type: 'result:fetch', requestId, hash, ...(ticket && { ticket }) }).then(
        startClock,
        (error: unknown) => {
          const pending = fetches.get(requestId);
          if (pending) {
            fetches.delete(requestId);
            clearTimeout(timer);
            links.fetchEnded(peer, 0, false);
            resolve({ peer, kind: 'unreachable', ...(error instanceof Error && { error }) });
          }
        },
      );
    });

  return {
    peerId: self,
    transport,
    links,
    send,
    post,
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onDisconnect(listener) {
      disconnectListeners.add(listener);
      return () => disconnectListeners.delete(listener);
    },
    get forgedBytes() {
      return forgedBytes;
    },
    onForged(listener) {
      forgedListeners.add(listener);
      return () => forgedListeners.delete(listener);
    },
    async fetch(hash, holders, timeoutMs, grant, failures) {
      for (let k = 0; k < holders.length; k++) {
        const holder = holders[k]!;
        const got = await fetchFrom(hash, holder, timeoutMs, grant?.tickets?.[k]);
        if (!(got instanceof Uint8Array)) {
          failures?.push(got);
          continue;
        }
        if (grant?.digest && !sameBytes(digestOf(got), grant.digest)) {
          forgedBytes++;
          for (const l of [...forgedListeners]) l(holder, hash);
          failures?.push({ peer: holder, kind: 'forged' });
          continue;
        }
        return { bytes: got, from: holder };
      }
      return undefined;
    },
  };
}

/** A PeerError for a send to `peerId` that failed, keeping the cause. */
export function sendError(peerId: string, cause: unknown): PeerError {
  return cause instanceof PeerError
    ? cause
    : new PeerError(peerId, `peer '${peerId}' is unreachable`, { cause });
}
