/**
 * A connected simple-peer as a FrameLink, and what its stack says about it: the selected candidate pair
 * (`readPath`), the candidate types this side gathered (`candidateTypeOf`), and the error a failed set-up
 * reports (`setupErrorFor`). Reaches into simple-peer's internals (`_channel`, `_pc`) in one place (webrtc.ts).
 */
import type SimplePeer from 'simple-peer';
import type { DataChannelLike } from '../protocol/framed-sender.js';
import { frameSizeFor } from '../protocol/framing.js';
import type { SignalData } from '../signaling/contract.js';
import { type FrameLink, type LinkCloseReason, type LinkFailure, LinkSetupError } from './frame-link.js';
import { type CandidateType, type LinkPath, linkPathFromStats, type StatsReportLike } from './link-path.js';

export interface SimplePeerInternals {
  _channel: DataChannelLike;
  _pc: {
    sctp?: { maxMessageSize?: number } | null;
    getStats?: () => Promise<StatsReportLike>;
    iceConnectionState?: string;
  };
}

/** How long a new link may take to report its selected candidate pair before it is used without one. */
const PATH_STATS_TIMEOUT_MS = 1000;

/** The selected candidate pair of a connected simple-peer, or undefined when its stack does not say. */
export async function readPath(
  peer: SimplePeer.Instance,
  signaled: ReadonlyMap<string, CandidateType> | undefined,
): Promise<LinkPath | undefined> {
  const pc = (peer as unknown as SimplePeerInternals)._pc;
  if (typeof pc?.getStats !== 'function') return undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), PATH_STATS_TIMEOUT_MS);
  });
  try {
    const report = await Promise.race([pc.getStats(), late]);
    return report
      ? linkPathFromStats(report, (address, port) => signaled?.get(`${address} ${port}`))
      : undefined;
  } catch {
    return undefined; // a stack without stats: the link works, its path is unknown
  } finally {
    clearTimeout(timer);
  }
}

/** The candidate types in a trickled candidate signal (`... typ relay ...`). */
export function candidateTypeOf(data: SignalData): CandidateType | undefined {
  if (data.type !== 'candidate') return undefined;
  const typ = / typ (host|srflx|prflx|relay)\b/.exec(data.candidate.candidate)?.[1];
  return typ as CandidateType | undefined;
}

/** Wraps a connected simple-peer as a FrameLink. */
export function linkOf(peer: SimplePeer.Instance, path: LinkPath | undefined): FrameLink {
  const internals = peer as unknown as SimplePeerInternals;
  let onClosed: ((reason: LinkCloseReason, error?: Error) => void) | undefined;
  let done = false;
  const finish = (reason: LinkCloseReason, error?: Error) => {
    if (done) return;
    done = true;
    onClosed?.(reason, error);
  };
  peer.on('error', (err: Error) => finish('failed', err));
  peer.on('close', () => finish('remote-closed'));
  return {
    channel: internals._channel,
    frameSize: frameSizeFor(internals._pc.sctp?.maxMessageSize),
    ...(path && { path }),
    onFrame(listener) {
      peer.on('data', (chunk: Uint8Array | string) => {
        listener(typeof chunk === 'string' ? new Uint8Array(0) : chunk);
      });
    },
    onClosed(listener) {
      onClosed = listener;
    },
    close() {
      done = true;
      peer.destroy();
    },
  };
}

/**
 * The error of a failed set-up: what failed, the ICE state, and which candidate types this side gathered, the
 * usual clue (two peers behind NATs with no relay candidate cannot connect: configure a TURN server).
 */
export function setupErrorFor(
  remote: string,
  peer: SimplePeer.Instance,
  gatheredTypes: Iterable<CandidateType>,
  failure: LinkFailure,
  detail: string,
  cause?: Error,
): LinkSetupError {
  const types = [...gatheredTypes];
  const state = (peer as unknown as SimplePeerInternals)._pc?.iceConnectionState;
  const what =
    failure === 'ice-failed' ? 'ICE failed' : failure === 'timeout' ? 'ICE timed out' : 'set-up failed';
  const gathered =
    types.length === 0
      ? 'no local candidates sent'
      : `local candidates ${types.join(', ')}${types.includes('relay') ? '' : ', no relay (no TURN server?)'}`;
  return new LinkSetupError(
    remote,
    failure,
    `link to '${remote}': ${what} (${detail}; ICE state ${state ?? 'unknown'}; ${gathered})`,
    cause && { cause },
  );
}
