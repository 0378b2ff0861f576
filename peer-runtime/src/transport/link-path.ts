/**
 * How a WebRTC link connected: the ICE candidate pair the connection selected, read from `getStats()` once the
 * data channel is open. It answers the first question of anyone whose mesh does not connect: did these two
 * peers reach each other directly (`host`: same network; `srflx`/`prflx`: through a NAT, hole punched) or through
 * a TURN server (`relay`), and over UDP or TCP.
 *
 * Both stacks report it differently, so this module reads what either gives:
 * - browsers: a `transport` entry's `selectedCandidatePairId` (or a `candidate-pair` with `selected`/`nominated`),
 *   its `local-candidate` and `remote-candidate` with `candidateType`, `protocol` and, on a relay candidate,
 *   `relayProtocol` (how we reach the TURN server: udp, tcp or tls);
 * - node-datachannel's polyfill: one `candidate-pair` and its two candidates with `candidateType` only (libjuice
 *   speaks UDP alone, to peers and to TURN servers: libdatachannel#1484).
 */

/** ICE candidate types (RFC 8445): host, server reflexive (STUN), peer reflexive, relayed (TURN). */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

export const CANDIDATE_TYPES: readonly CandidateType[] = ['host', 'srflx', 'prflx', 'relay'];

/** The selected candidate pair of one link. */
export interface LinkPath {
  /**
   * The link as a whole: `relay` when either end is a relay candidate (the bytes go through a TURN server),
   * else `srflx` or `prflx` when either end is reflexive (a NAT was traversed), else `host` (a direct path).
   */
  readonly type: CandidateType;
  readonly local: CandidateType;
  readonly remote: CandidateType;
  /** Transport of the pair between the two ends: `udp` or `tcp`. */
  readonly protocol: 'udp' | 'tcp';
  /** For a local relay candidate: how this peer reaches its TURN server (`udp`, `tcp`, `tls`), when known. */
  readonly relayProtocol?: 'udp' | 'tcp' | 'tls';
}

/** `relay/udp`, `host/udp`, `relay/udp via tcp`: one short text for logs, tables and the CLI. */
export function describeLinkPath(path: LinkPath): string {
  const via = path.relayProtocol && path.relayProtocol !== path.protocol ? ` via ${path.relayProtocol}` : '';
  return `${path.type}/${path.protocol}${via}`;
}

interface StatsEntry {
  readonly id?: string;
  readonly type?: string;
  readonly [key: string]: unknown;
}

/** What `RTCPeerConnection.getStats()` resolves with (a maplike of entries), in the shape both stacks share. */
export interface StatsReportLike {
  forEach(callback: (value: StatsEntry, key: string) => void): void;
}

/**
 * The selected candidate pair in `report`, or undefined when it names none (not connected yet).
 *
 * `signaledType` tells the type of a remote candidate the remote signalled, by `address port`. A remote
 * candidate the stack calls peer reflexive may be one whose connectivity check beat its own trickled signal: on
 * one flat network that is a host candidate, and the user must read `host`, not a NAT that is not there.
 */
export function linkPathFromStats(
  report: StatsReportLike,
  signaledType?: (address: string, port: number) => CandidateType | undefined,
): LinkPath | undefined {
  const byId = new Map<string, StatsEntry>();
  const pairs: StatsEntry[] = [];
  let selectedId: string | undefined;
  report.forEach((entry, key) => {
    byId.set(typeof entry.id === 'string' ? entry.id : key, entry);
    if (entry.type === 'candidate-pair') pairs.push(entry);
    if (entry.type === 'transport' && typeof entry.selectedCandidatePairId === 'string')
      selectedId ??= entry.selectedCandidatePairId;
  });
  const pair =
    (selectedId !== undefined ? byId.get(selectedId) : undefined) ??
    pairs.find((p) => p.selected === true) ??
    pairs.find((p) => p.nominated === true && p.state === 'succeeded') ??
    (pairs.length === 1 ? pairs[0] : undefined);
  if (!pair) return undefined;
  const local = byId.get(String(pair.localCandidateId));
  const remote = byId.get(String(pair.remoteCandidateId));
  const localType = candidateType(local);
  let remoteType = candidateType(remote);
  const address = remote?.address ?? remote?.ip;
  if (
    remoteType === 'prflx' &&
    signaledType &&
    typeof address === 'string' &&
    typeof remote?.port === 'number'
  )
    remoteType = signaledType(address, remote.port) ?? remoteType;
  if (!localType || !remoteType) return undefined;
  const protocol = local?.protocol === 'tcp' || remote?.protocol === 'tcp' ? 'tcp' : 'udp';
  const relayProtocol = relayProtocolOf(local);
  return {
    type: overallType(localType, remoteType),
    local: localType,
    remote: remoteType,
    protocol,
    ...(localType === 'relay' && relayProtocol !== undefined && { relayProtocol }),
  };
}

/** Reads a candidate's type: the standard `candidateType`, or the `typ` of its SDP line; libjuice's long names too. */
function candidateType(entry: StatsEntry | undefined): CandidateType | undefined {
  if (!entry) return undefined;
  const raw =
    typeof entry.candidateType === 'string'
      ? entry.candidateType
      : typeof entry.candidate === 'string'
        ? / typ (\w+)/.exec(entry.candidate)?.[1]
        : undefined;
  switch (raw?.toLowerCase()) {
    case 'host':
      return 'host';
    case 'srflx':
    case 'serverreflexive':
      return 'srflx';
    case 'prflx':
    case 'peerreflexive':
      return 'prflx';
    case 'relay':
    case 'relayed':
      return 'relay';
    default:
      return undefined;
  }
}

function relayProtocolOf(entry: StatsEntry | undefined): LinkPath['relayProtocol'] {
  const p = entry?.relayProtocol;
  return p === 'udp' || p === 'tcp' || p === 'tls' ? p : undefined;
}

/** The link's type as a whole: the most indirect of its two ends (relay > srflx/prflx > host). */
function overallType(a: CandidateType, b: CandidateType): CandidateType {
  if (a === 'relay' || b === 'relay') return 'relay';
  if (a === 'srflx' || b === 'srflx') return 'srflx';
  if (a === 'prflx' || b === 'prflx') return 'prflx';
  return 'host';
}

/** `address port` and type of an SDP candidate line (`candidate:1 1 UDP 2122 10.0.0.1 5000 typ host`). */
export function parseCandidateLine(line: string): { key: string; type: CandidateType } | undefined {
  const m = /candidate:\S+ \d+ \S+ \d+ (\S+) (\d+) typ (host|srflx|prflx|relay)\b/.exec(line);
  return m ? { key: `${m[1]} ${Number(m[2])}`, type: m[3] as CandidateType } : undefined;
}
