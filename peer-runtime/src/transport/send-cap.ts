/**
 * A cap on the bytes queued for one connection (`TransportOptions.maxQueuedBytes`). Backpressure (protocol/
 * framed-sender.ts) keeps the channel's own buffer under its high-water mark, but a message posted meanwhile
 * waits in the sender's queue, and nothing else bounds that queue: a peer that stops reading (a SIGSTOPped
 * process, a frozen tab, a stranger that simply never drains its SCTP window) would make us buffer every
 * assignment, event and result meant for it, without limit. Past the cap the connection is dropped
 * (`peer:disconnected`, reason `failed`, with this error naming the peer), everything queued for it is
 * rejected, and the peer is treated as any lost peer (its work re-runs elsewhere; it may reconnect).
 *
 * A message is always accepted while nothing is queued, however large (a 200 MB result to a fetcher), so the cap
 * bounds what piles up, not what one message may be: at most `maxQueuedBytes` plus one message, plus what the
 * channel holds (its high-water mark, 4 MiB by default).
 */
import type { PeerError } from '../errors.js';
import { peerError } from './connection.js';

/**
 * Default 128 MiB: several large results in flight to one slow fetcher fit; a stalled peer is found out after
 * about three seconds of this machine's 40 MB/s.
 */
export const DEFAULT_MAX_QUEUED_BYTES = 128 * 1024 * 1024;

/** The error to drop `peerId`'s connection with, when queueing `adding` more bytes passes `max`; else undefined. */
export function queueOverflow(
  peerId: string,
  queued: number,
  adding: number,
  max: number,
): PeerError | undefined {
  if (queued === 0 || queued + adding <= max) return undefined;
  return peerError(
    peerId,
    `is not reading: ${queued + adding} bytes would be queued for it, past the cap of ${max} (maxQueuedBytes); the connection is closed`,
  );
}
