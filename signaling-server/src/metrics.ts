/**
 * Counters of the signaling server, readable as an object (`server.metrics()`) and as Prometheus text
 * (`GET /metrics`). Gauges (peers, meshes) are read from the registry at scrape time, never kept twice.
 */
import type { EventErrorCode, LeaveReason, RefusalReason } from '@handout/peer-runtime/signaling';

export interface SignalingMetrics {
  /** Peers registered: connected, or within their reconnect grace window. */
  readonly peers: number;
  readonly connectedPeers: number;
  readonly meshes: number;
  /** Accepted connections (joins and resumes). */
  readonly connections: number;
  /** Reconnects within the grace window that kept the peer's membership. */
  readonly resumes: number;
  readonly signalsRelayed: number;
  /** `peer:update` events accepted. */
  readonly peerUpdates: number;
  /** `members:changed` broadcasts sent (each to one mesh), and the peer infos they carried. */
  readonly memberBroadcasts: number;
  readonly memberBroadcastPeers: number;
  /** Sessions that renewed their token with `token:renew`. */
  readonly tokenRenewals: number;
  /** Sessions closed because their token expired. */
  readonly sessionsExpired: number;
  /** Ids reserved for their token subject after their peer left. */
  readonly reservedIds: number;
  readonly refusals: Readonly<Partial<Record<RefusalReason, number>>>;
  readonly rejectedEvents: Readonly<Partial<Record<EventErrorCode, number>>>;
  readonly departures: Readonly<Partial<Record<LeaveReason, number>>>;
}

export interface Gauges {
  peers: number;
  connectedPeers: number;
  meshes: number;
  reservedIds: number;
}

export class MetricsRecorder {
  connections = 0;
  resumes = 0;
  signalsRelayed = 0;
  peerUpdates = 0;
  memberBroadcasts = 0;
  memberBroadcastPeers = 0;
  tokenRenewals = 0;
  sessionsExpired = 0;
  readonly refusals: Partial<Record<RefusalReason, number>> = {};
  readonly rejectedEvents: Partial<Record<EventErrorCode, number>> = {};
  readonly departures: Partial<Record<LeaveReason, number>> = {};

  refused(reason: RefusalReason): void {
    this.refusals[reason] = (this.refusals[reason] ?? 0) + 1;
  }

  rejected(code: EventErrorCode): void {
    this.rejectedEvents[code] = (this.rejectedEvents[code] ?? 0) + 1;
  }

  departed(reason: LeaveReason): void {
    this.departures[reason] = (this.departures[reason] ?? 0) + 1;
  }

  snapshot(gauges: Gauges): SignalingMetrics {
    return {
      ...gauges,
      connections: this.connections,
      resumes: this.resumes,
      signalsRelayed: this.signalsRelayed,
      peerUpdates: this.peerUpdates,
      memberBroadcasts: this.memberBroadcasts,
      memberBroadcastPeers: this.memberBroadcastPeers,
      tokenRenewals: this.tokenRenewals,
      sessionsExpired: this.sessionsExpired,
      refusals: { ...this.refusals },
      rejectedEvents: { ...this.rejectedEvents },
      departures: { ...this.departures },
    };
  }
}

/** Prometheus text exposition format 0.0.4. */
export function toPrometheus(m: SignalingMetrics): string {
  const lines: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
  };
  const labelled = (
    label: string,
    values: Readonly<Record<string, number | undefined>>,
  ): [string, number][] => Object.entries(values).map(([k, v]) => [`{${label}="${k}"}`, v ?? 0]);

  metric('handout_signaling_peers', 'gauge', 'Peers registered, by connection state.', [
    ['{state="connected"}', m.connectedPeers],
    ['{state="reconnecting"}', m.peers - m.connectedPeers],
  ]);
  metric('handout_signaling_meshes', 'gauge', 'Meshes with at least one peer.', [['', m.meshes]]);
  const plain: [name: string, type: 'gauge' | 'counter', help: string, value: number][] = [
    ['handout_signaling_connections_total', 'counter', 'Connections accepted.', m.connections],
    ['handout_signaling_resumes_total', 'counter', 'Reconnects that kept their membership.', m.resumes],
    [
      'handout_signaling_signals_relayed_total',
      'counter',
      'WebRTC signals relayed between peers.',
      m.signalsRelayed,
    ],
    ['handout_signaling_peer_updates_total', 'counter', 'peer:update events accepted.', m.peerUpdates],
    [
      'handout_signaling_member_broadcasts_total',
      'counter',
      'members:changed broadcasts sent.',
      m.memberBroadcasts,
    ],
    [
      'handout_signaling_member_broadcast_peers_total',
      'counter',
      'Peer infos carried by members:changed broadcasts.',
      m.memberBroadcastPeers,
    ],
    [
      'handout_signaling_token_renewals_total',
      'counter',
      'Sessions that renewed their token.',
      m.tokenRenewals,
    ],
    [
      'handout_signaling_sessions_expired_total',
      'counter',
      'Sessions closed at token expiry.',
      m.sessionsExpired,
    ],
    [
      'handout_signaling_reserved_ids',
      'gauge',
      'Ids reserved for their token subject after leaving.',
      m.reservedIds,
    ],
  ];
  for (const [name, type, help, value] of plain) metric(name, type, help, [['', value]]);
  metric(
    'handout_signaling_refusals_total',
    'counter',
    'Connections refused, by reason.',
    labelled('reason', m.refusals),
  );
  metric(
    'handout_signaling_rejected_events_total',
    'counter',
    'Incoming events rejected, by error code.',
    labelled('code', m.rejectedEvents),
  );
  metric(
    'handout_signaling_departures_total',
    'counter',
    'Peers gone, by reason.',
    labelled('reason', m.departures),
  );
  return `${lines.join('\n')}\n`;
}
