/**
 * Fields the dashboard shows when the runtime sends them, and which @handout/peer-runtime does not have yet:
 * the one place that names them, so the views degrade the same way everywhere while they are absent and pick
 * them up without further change once they exist. docs/demo.md lists them for the runtime's side.
 *
 * Everything here arrives from other peers (through the signaling registry or the run's events), so each reader
 * checks the type of every field and ignores what does not fit: a stranger's malformed status must not break
 * the page.
 *
 * - `PeerState.cpu` (0..1, the share of the peer's cores busy over the last status interval) and
 *   `PeerState.memoryMB` (memory the peer process uses): in `peer:status` and in the signaling `PeerState`, so
 *   a submitting dashboard reads them from `mesh.peers()`.
 * - `PeerCapabilities.label` (a person's name for the peer: `handout peer --label`, the contribute page's
 *   chosen name), carried with the capabilities by the signaling handshake and registry.
 * - `FunctionRecord.logs` (captured console output, one entry per attempt: docs/telemetry.md) and, per attempt,
 *   `AttemptRecord.link`
 *   (the ICE candidate type of the connection the inputs came over) and `FunctionRecord.verification` (sent
 *   now, on verified mesh runs: docs/security.md).
 */
import type { AttemptRecord, FunctionRecord, FunctionVerification } from '@handout/peer-runtime';
import type { PeerInfo } from '@handout/peer-runtime/signaling';

/**
 * How a link connected, as the runtime's `describeLinkPath` writes it: the ICE candidate type (host,
 * server-reflexive, peer-reflexive, relayed by TURN) and protocol, `host/udp`, `relay/udp via tcp`. A bare type
 * (`relay`, an older runtime's) is read too.
 */
export type LinkType = string;
const LINK_TEXT = /^(host|srflx|prflx|relay)(\/(udp|tcp)( via (udp|tcp|tls))?)?$/;

/** An input an attempt fetched: from which holder, over what kind of link. */
export interface FetchedFrom {
  readonly peer: string;
  readonly link: LinkType | undefined;
}

/** One line a function printed. */
export interface CapturedLine {
  readonly level: 'log' | 'info' | 'warn' | 'error' | 'debug';
  readonly text: string;
  /** Epoch ms, when known. */
  readonly at?: number;
}
const LEVELS: ReadonlySet<string> = new Set(['log', 'info', 'warn', 'error', 'debug']);

const OUTCOMES: ReadonlySet<string> = new Set(['agreed', 'disputed', 'unverified', 'trusted-peer', 'cached']);

/** Live figures a peer reports beyond running/slots/paused. */
export interface PeerReadings {
  /** Share of the peer's cores busy, 0..1. */
  readonly cpu?: number;
  /** Memory the peer process uses, MiB. */
  readonly memoryMB?: number;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** CPU and memory from a peer's state, when it reports them and they make sense. */
export function peerReadings(info: PeerInfo): PeerReadings {
  const state: unknown = info.state;
  if (!isRecord(state)) return {};
  const cpu = state.cpu;
  const memoryMB = state.memoryMB;
  return {
    ...(finite(cpu) && cpu >= 0 && cpu <= 1 && { cpu }),
    ...(finite(memoryMB) && memoryMB >= 0 && { memoryMB }),
  };
}

/** The label a person gave the peer, when it has one (at most 40 characters, printable). */
export function peerGivenLabel(info: PeerInfo): string | undefined {
  // The runtime carries it as `capabilities.label` (`handout peer --label`); a top-level `label` is read too.
  const caps: unknown = info.capabilities;
  const label = (isRecord(caps) && caps.label) || (info as unknown as Record<string, unknown>).label;
  if (typeof label !== 'string') return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  const clean = label.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean === '' ? undefined : clean.slice(0, 40);
}

/** The function's captured output, when the runtime recorded it (at most `max` lines, the last ones). */
export function capturedOutput(record: FunctionRecord, max = 500): readonly CapturedLine[] | undefined {
  const logs = (record as unknown as Record<string, unknown>).logs;
  if (!Array.isArray(logs)) return undefined;
  const lines: CapturedLine[] = [];
  // The runtime keeps one entry per attempt that printed (`AttemptOutput`: attempt, peer, lines); flat lines
  // (strings or { level, text }) are read too.
  const flat = logs.flatMap((entry: unknown) =>
    isRecord(entry) && Array.isArray(entry.lines) ? (entry.lines as unknown[]) : [entry],
  );
  for (const entry of flat.slice(-max)) {
    if (typeof entry === 'string') lines.push({ level: 'log', text: entry });
    else if (isRecord(entry) && typeof entry.text === 'string') {
      const level = typeof entry.level === 'string' && LEVELS.has(entry.level) ? entry.level : 'log';
      lines.push({
        level: level as CapturedLine['level'],
        text: entry.text,
        ...(finite(entry.at) && { at: entry.at }),
      });
    }
  }
  return lines;
}

const linkText = (link: unknown): LinkType | undefined =>
  typeof link === 'string' && LINK_TEXT.test(link) ? link : undefined;

/** How the coordinator's link to the attempt's peer connected, when the runtime recorded it. */
export function attemptLink(attempt: AttemptRecord): LinkType | undefined {
  return linkText((attempt as unknown as Record<string, unknown>).link);
}

/** The holders an attempt fetched its inputs from, each with its link (`unknown` links as undefined). */
export function attemptFetches(attempt: AttemptRecord): readonly FetchedFrom[] {
  const list: unknown = attempt.fetchedFrom;
  if (!Array.isArray(list)) return [];
  return list.flatMap((f: unknown) =>
    isRecord(f) && typeof f.peer === 'string' && f.peer !== ''
      ? [{ peer: f.peer, link: linkText(f.link) }]
      : [],
  );
}

/**
 * How result verification checked a function's result (FunctionRecord.verification: outcome, the policy's
 * replicas and quorum, the peers that agreed and those that lost), when the run was verified. The runtime's
 * run-event schema checked it on arrival; a record of another shape (an older runtime's) is not shown.
 */
export function verificationOf(record: FunctionRecord): FunctionVerification | undefined {
  const v: unknown = record.verification;
  if (!isRecord(v) || typeof v.outcome !== 'string' || !OUTCOMES.has(v.outcome)) return undefined;
  const peers = (list: unknown): string[] =>
    Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : [];
  return {
    outcome: v.outcome as FunctionVerification['outcome'],
    replicas: finite(v.replicas) ? v.replicas : 0,
    quorum: finite(v.quorum) ? v.quorum : 0,
    agreed: peers(v.agreed),
    disagreed: peers(v.disagreed),
    ...(typeof v.digest === 'string' && { digest: v.digest }),
  };
}
