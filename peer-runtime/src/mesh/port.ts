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
 *
 * Why a WeakMap keyed by the transport, and not a port passed to each component: the port is the transport's
 * single reader. Two ports on one transport would both decode every message, deliver loopback twice, and hand
 * out overlapping `result:fetch` request ids, so a submitter's fetch reply could resolve an agent's fetch. The
 * components that need it (createCoordinator, createPeerAgent, submitRemote) are public and take a `transport`
 * (submitRemote is called by SDK users and the CLI with `peer.transport`), so an explicit port would have to be
 * threaded through every one of those public signatures and their callers at once, and any caller that forgot
 * it would silently get a second port. Keeping the registry makes "one port per transport" hold by
 * construction; `portOf` is the only way to get one, and it is named at the top of each component that does.
 * (Decision of the issue-9 reorganisation; revisit if the public API ever takes a MeshPeer instead.)
 */
import { PeerError } from '../errors.js';
import type { BatchableMessage } from '../protocol/messages.js';
import type { DisconnectReason, Transport } from '../transport/types.js';
import type { FetchGrant } from './fetch-grants.js';
import { LinkMeter } from './link-meter.js';
import { type FetchedResult, type FetchFailure, PortFetches } from './port-fetches.js';
import { PortOutbox } from './port-outbox.js';

export type { FetchedResult, FetchFailure } from './port-fetches.js';
export { BULK_ALONE_BYTES, nextTurn } from './port-outbox.js';

export type PortListener = (from: string, message: BatchableMessage) => void;

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

/** The transport's single reader: replies to our fetches go to `fetches`, the rest to every listener. */
function createPort(transport: Transport): MeshPort {
  const self = transport.localPeerId;
  const listeners = new Set<PortListener>();
  const disconnectListeners = new Set<(peerId: string, reason: DisconnectReason) => void>();
  const links = new LinkMeter(self, (peer) => transport.ping(peer));

  const deliver = (from: string, message: BatchableMessage): void => {
    if (fetches.answer(from, message)) return;
    for (const listener of [...listeners]) {
      try {
        listener(from, message);
      } catch {
        // One component's bug must not keep the message from the others.
      }
    }
  };
  const outbox = new PortOutbox(transport, (message) => deliver(self, message));
  const fetches = new PortFetches(links, (peer, message) => outbox.send(peer, message));

  transport.onMessage((from, message) => {
    if (message.type === 'batch') {
      for (const inner of message.messages) deliver(from, inner);
    } else if (message.type !== 'hello' && message.type !== 'ping' && message.type !== 'pong') {
      deliver(from, message);
    }
  });

  transport.on('peer:disconnected', ({ peerId, reason }) => {
    fetches.peerGone(peerId);
    for (const listener of [...disconnectListeners]) listener(peerId, reason);
  });

  return {
    peerId: self,
    transport,
    links,
    send: (peerId, message) => outbox.send(peerId, message),
    post: (peerId, message) => outbox.post(peerId, message),
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onDisconnect(listener) {
      disconnectListeners.add(listener);
      return () => disconnectListeners.delete(listener);
    },
    get forgedBytes() {
      return fetches.forgedBytes;
    },
    onForged: (listener) => fetches.onForged(listener),
    fetch: (hash, holders, timeoutMs, grant, failures) =>
      fetches.fetch(hash, holders, timeoutMs, grant, failures),
  };
}

/** A PeerError for a send to `peerId` that failed, keeping the cause. */
export function sendError(peerId: string, cause: unknown): PeerError {
  return cause instanceof PeerError
    ? cause
    : new PeerError(peerId, `peer '${peerId}' is unreachable`, { cause });
}
