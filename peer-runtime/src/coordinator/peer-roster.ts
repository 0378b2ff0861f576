/**
 * The coordinator's view of the mesh's contributing peers: who is registered with the resource tracker and with
 * what believed capacity (claims), who was given up on and is being redialled (`lostPeers`), whose holdings were
 * heard since they registered (runs may wait for them: `startWhenHoldingsKnown`), what each peer's `peer:status`
 * says (slots, pause, cache holdings, links), and the heartbeat that pings busy peers gone quiet.
 */
import type { MemberDirectory } from '../mesh/members.js';
import type { MembershipSource, MeshMember } from '../mesh/membership.js';
import type { BatchableMessage } from '../protocol/messages.js';
import type { BelievedCapacity, CapacityClaims } from '../scheduling/claims.js';
import type { ResourceTracker } from '../scheduling/types.js';
import type { Transport } from '../transport/types.js';
import type { Dispatcher } from './dispatcher.js';
import type { NetworkProbe } from './network-probe.js';
import type { PeerLoads } from './peer-loads.js';
import type { ResultDirectory } from './result-directory.js';
import type { TrustLedger } from './trust-ledger.js';

export type StatusMessage = Extract<BatchableMessage, { type: 'peer:status' }>;

export interface PeerRosterDeps {
  /** The coordinator's own id (never waited for, never pinged). */
  readonly selfId: string;
  readonly transport: Transport;
  /** The membership the peers come from; undefined: whoever sends `peer:status` (tests, in-process meshes). */
  readonly membership: MembershipSource | undefined;
  /** How long a run waits for the peers' holdings before it starts (`CoordinatorOptions.holdingsWaitMs`). */
  readonly holdingsWaitMs: number;
  readonly tracker: ResourceTracker;
  readonly loads: PeerLoads;
  readonly dispatcher: Dispatcher;
  readonly claims: CapacityClaims | undefined;
  readonly ledger: TrustLedger;
  readonly members: MemberDirectory;
  readonly directory: ResultDirectory;
  readonly probe: NetworkProbe;
  /** A busy peer stopped answering pings: the coordinator gives it up (outcomes.ts `peerLost`). */
  readonly lose: (peerId: string, reason: string) => void;
  readonly closed: () => boolean;
}

export class PeerRoster {
  /**
   * Peers given up on (silent, unreachable, connection closed) and not yet reconnected. The transport remembers
   * them as gone, so sending to them fails until someone dials explicitly: such a peer is registered again only
   * once `transport.connect` succeeded (reconnect below), never merely because the membership still lists it
   * (a SIGSTOPped process keeps its signaling socket, then publishes its state on SIGCONT). Value: a reconnect
   * in progress.
   */
  private readonly lostPeers = new Map<string, Promise<void> | undefined>();
  /** Contributing peers whose `peer:status` (holdings) arrived since they were (re)registered. */
  private readonly heard = new Set<string>();
  /** Runs waiting to start until the peers' holdings are known (startWhenHoldingsKnown). */
  private readonly holdingWaiters = new Set<() => void>();
  /** Slots each peer last said it has (peer:status): its current claim. */
  private readonly claimedSlots = new Map<string, number>();

  constructor(private readonly deps: PeerRosterDeps) {}

  /** A peer was given up on: it is redialled (not trusted merely for being listed) and its holdings are unheard. */
  noteLost(peerId: string): void {
    if (!this.lostPeers.has(peerId)) this.lostPeers.set(peerId, undefined);
    this.heard.delete(peerId);
    queueMicrotask(() => this.wakeHoldingWaiters());
  }

  /** A peer left the mesh: its last claimed slots are forgotten. */
  forget(peerId: string): void {
    this.claimedSlots.delete(peerId);
  }

  /**
   * Runs `begin` once every contributing peer has told its holdings (its first `peer:status` since it was
   * registered), or after `holdingsWaitMs`, whichever comes first. A coordinator that just started, or took a run
   * over from a lost one, would otherwise find nothing in its cache directory and recompute what the peers hold;
   * peers that have not spoken are dialled, which makes them announce (the agent does on connecting to a
   * coordinator it knows).
   */
  startWhenHoldingsKnown(begin: () => void): void {
    const waitMs = this.deps.holdingsWaitMs;
    const unheard = (): string[] =>
      this.deps.tracker
        .peers()
        .map((p) => p.peerId)
        .filter((id) => id !== this.deps.selfId && !this.heard.has(id));
    const waiting = waitMs > 0 ? unheard() : [];
    if (waiting.length === 0) {
      queueMicrotask(begin);
      return;
    }
    for (const id of waiting) this.deps.transport.connect(id).catch(() => {});
    let timer: ReturnType<typeof setTimeout> | undefined;
    const done = (): void => {
      if (!this.holdingWaiters.delete(check)) return;
      clearTimeout(timer);
      begin();
    };
    const check = (): void => {
      if (unheard().length === 0 || this.deps.closed()) done();
    };
    this.holdingWaiters.add(check);
    timer = setTimeout(done, waitMs);
  }

  wakeHoldingWaiters(): void {
    for (const check of [...this.holdingWaiters]) check();
  }

  /** Applies what the claims module now believes of a peer (slow start, measured speed). */
  believe(peerId: string, believed: BelievedCapacity): void {
    const view = this.deps.tracker.peer(peerId);
    if (!view) return;
    // A measured speed moves a little with every sample; only a move past 20% is news. Every change of a peer's
    // figures makes plan-following runs rebuild their HEFT plan (heft-plans.ts), which must not happen per result.
    const speedMoved = Math.abs(believed.speed - view.speed) > 0.2 * view.speed;
    if (view.cores === believed.cores && !speedMoved) return;
    this.deps.tracker.update(peerId, { cores: believed.cores, ...(speedMoved && { speed: believed.speed }) });
    this.deps.dispatcher.kick();
  }

  register(member: MeshMember): void {
    if (member.roles && !member.roles.includes('contribute')) return;
    if (this.deps.ledger.quarantined(member.peerId)) return;
    if (this.lostPeers.has(member.peerId)) {
      this.reconnect(member.peerId);
      return;
    }
    const caps = member.capabilities;
    const known = this.deps.tracker.peer(member.peerId);
    // The slots the peer told us (peer:status) beat the core count it advertised; both are claims.
    const claimedCores = this.claimedSlots.get(member.peerId) ?? member.state?.slots ?? caps.cores;
    const believed = this.deps.claims?.claim(member.peerId, claimedCores, caps.speed) ?? {
      cores: claimedCores,
      speed: caps.speed,
    };
    this.deps.tracker.register(member.peerId, {
      ...caps,
      cores: believed.cores,
      speed: believed.speed,
      paused: member.state?.paused ?? known?.paused ?? false,
    });
    this.deps.loads.ensure(member.peerId);
    this.deps.dispatcher.unpark();
    this.deps.dispatcher.kick();
  }

  /**
   * Dials a lost peer explicitly (which clears the transport's gone mark); once connected, it is registered again
   * if it is still a member. One attempt at a time; retried by the heartbeat and by the member's next update.
   */
  reconnect(peerId: string): void {
    if (this.deps.closed() || this.lostPeers.get(peerId) !== undefined) return;
    // connect() resolves at once over a connection still open but dead (a hung process): a pong proves life.
    const { transport } = this.deps;
    const attempt = transport
      .connect(peerId)
      .then(() => transport.ping(peerId))
      .then(
        () => {
          if (this.deps.closed()) return;
          this.lostPeers.delete(peerId);
          const member = this.deps.membership?.peers().find((m) => m.peerId === peerId);
          if (member) this.register(member);
        },
        () => {
          if (this.lostPeers.get(peerId) === attempt) this.lostPeers.set(peerId, undefined);
        },
      );
    this.lostPeers.set(peerId, attempt);
  }

  onStatus(from: string, message: StatusMessage): void {
    if (this.deps.ledger.quarantined(from)) return; // its slots and its cache announcements are not believed
    // A status arrived, so the connection works again: whatever we gave up on is back.
    this.lostPeers.delete(from);
    const membership = this.deps.membership;
    if (!this.deps.tracker.peer(from)) {
      const member = membership?.peers().find((m) => m.peerId === from);
      if (membership && !member) return; // not (or no longer) a member
      if (member) this.register(member);
      else {
        const believed = this.deps.claims?.claim(from, message.slots) ?? { cores: message.slots };
        this.deps.tracker.register(from, { cores: believed.cores, paused: message.paused });
        this.deps.loads.ensure(from);
      }
    }
    this.claimedSlots.set(from, message.slots);
    const view = this.deps.tracker.peer(from);
    const cores = this.deps.claims?.claim(from, message.slots).cores ?? message.slots;
    if (view && (view.cores !== cores || view.paused !== message.paused)) {
      this.deps.tracker.update(from, { cores, paused: message.paused });
    }
    // An announcement is a claim: it counts where it can be checked. A hash whose digest this coordinator
    // recorded from an accepted result can be checked by every fetcher, so the claimant is added as a holder (a
    // liar is caught at the first fetch, and the fetch moves on); an unknown hash is believed only from a member
    // whose token the mesh owner marked `trusted`. Others' unknown hashes are recomputed (receipts that survive a
    // coordinator restart are not built yet: docs/security.md).
    const trusted = this.deps.members.trusted(from);
    for (const hash of message.added ?? []) {
      if (trusted || this.deps.directory.checkable(hash)) this.deps.directory.add(hash, from, 0);
    }
    for (const hash of message.removed ?? []) this.deps.directory.remove(hash, from);
    if (message.links) this.deps.probe.learn(from, message.links);
    if (!this.heard.has(from)) {
      this.heard.add(from);
      this.wakeHoldingWaiters();
    }
    this.deps.dispatcher.unpark();
    this.deps.dispatcher.kick();
  }

  heartbeat(intervalMs: number): void {
    const now = Date.now();
    // Lost peers the membership still lists may answer again (a process resumed after SIGSTOP).
    const membership = this.deps.membership;
    if (membership && this.lostPeers.size > 0) {
      const members = new Set(membership.peers().map((m) => m.peerId));
      for (const peerId of this.lostPeers.keys()) if (members.has(peerId)) this.reconnect(peerId);
    }
    for (const [peerId, load] of this.deps.loads.entries()) {
      if (load.count === 0 || now - load.lastHeard < intervalMs || peerId === this.deps.selfId) continue;
      this.deps.transport.ping(peerId).then(
        () => {
          load.lastHeard = Date.now();
        },
        () => this.deps.lose(peerId, 'it stopped answering'),
      );
    }
  }
}
