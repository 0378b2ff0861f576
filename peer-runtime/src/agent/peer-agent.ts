/**
 * The contributing side of every peer: runs what coordinators assign, keeps the results, serves them to others.
 *
 * Per assignment: inputs come inline, from the local store, or fetched from the listed holders in order (none has
 * it: `task:failed` with reason `input-lost` naming the hash) → the function runs on the WorkerPool with its
 * `timeoutMs` → the encoded result goes into the ResultStore under the function's hash → `task:result` (with the
 * bytes inline when at most `inlineLimitBytes`) or `task:failed` with reason, message and stack.
 *
 * Decisions:
 * - `cache: false` results never enter the ResultStore and are never announced; they are kept in memory for
 *   `transientTtlMs` (default 10 min) so that this run's consumers and its submitter can fetch them, then dropped.
 * - Work handed back (the peer pauses, or drains before exit) is reported as `task:failed` with reason
 *   `cancelled`: the coordinator never expects a reply to its own `task:cancel`, so an unrequested `cancelled`
 *   means "given back", and it reschedules the function elsewhere without charging its retries.
 * - `peer:status` is sent on change of pause/slots and for store additions the coordinator cannot know of
 *   (inputs kept after a fetch, the initial announcement) and evictions, batched over `statusIntervalMs`. The
 *   running count rides along, but the coordinator counts what it assigned itself.
 *
 * What the peer holds (store, transient results, decoded values, fetches) is in holdings.ts; the `peer:status`
 * reporting in status.ts; running one function in execute.ts; replies in replies.ts. This file is the agent's
 * message entry point (`onMessage`: every message a coordinator or peer sends it arrives there) and its life.
 */
import { GrantChecker } from '../mesh/fetch-grants.js';
import { type MemberDirectory, openMembers } from '../mesh/members.js';
import { type MeshPort, portOf } from '../mesh/port.js';
import { Refusals } from '../mesh/refusals.js';
import type { BatchableMessage, TaskAssignment } from '../protocol/messages.js';
import { createMemoryStore } from '../store/memory.js';
import type { ResultStore } from '../store/types.js';
import { type Logger, silentLogger } from '../telemetry/logger.js';
import { describeLinkPath } from '../transport/link-path.js';
import type { Transport } from '../transport/types.js';
import type { WorkerPool } from '../worker/pool.js';
import { AgentAdmission } from './admission.js';
import { executeTask } from './execute.js';
import { join, RunningByHash, release } from './handover.js';
import { AgentHoldings } from './holdings.js';
import { TaskOutputStream } from './output-stream.js';
import { ReceiptBook } from './receipt-book.js';
import { AgentReplies, type AgentReplyCounts } from './replies.js';
import { AgentStatus } from './status.js';
import { AgentTask, taskKey } from './task.js';

/** Results up to this many encoded bytes ride inline with `task:result` (one frame, no fetch round trip). */
export const INLINE_RESULT_LIMIT = 16 * 1024;

export interface PeerAgentOptions {
  readonly transport: Transport;
  readonly pool: WorkerPool;
  /** Where the agent says what went wrong that nobody else hears of. Default: silent. */
  readonly logger?: Logger;
  /**
   * What the signaling server said about each member (roles, `trusted`): the agent acts on `task:assign` and
   * `task:cancel` only from members holding `coordinate`, and announces holdings only to them (admission.ts).
   * Default: `openMembers` (every sender admitted), for in-process meshes and tests; `createMeshPeer` always
   * passes the signaling client's view.
   */
  readonly members?: MemberDirectory;
  /**
   * This member's fetch key (`MeshSnapshot.fetchKey`): with it, `result:fetch` is served only with a ticket a
   * coordinator issued for that hash and fetcher (mesh/fetch-grants.ts). Default: none, fetches are served to
   * any member (in-process meshes and tests).
   */
  readonly fetchKey?: Uint8Array;
  /**
   * The cache receipts this peer holds (receipt-book.ts), loaded before the agent starts: they are shown with
   * the hashes whenever holdings are announced. Default: an empty book in memory.
   */
  readonly receipts?: ReceiptBook;
  /** Where results are kept (and looked up when serving fetches). Default: an unbounded in-memory store. */
  readonly store?: ResultStore;
  /** Coordinators to announce this peer's holdings to at start. More are learned from their first assignment. Default []. */
  readonly coordinators?: readonly string[];
  /** Largest result sent inline with its completion. Default INLINE_RESULT_LIMIT (16 KiB). */
  readonly inlineLimitBytes?: number;
  /** How long one holder may take to answer an input fetch. Default 30 000 ms. */
  readonly fetchTimeoutMs?: number;
  /** Batching window of `peer:status` messages. Default 50 ms. */
  readonly statusIntervalMs?: number;
  /** How long `cache: false` results stay fetchable. Default 600 000 ms. */
  readonly transientTtlMs?: number;
  /** Keep fetched inputs in the store (and announce them), so later consumers find them here. Default true. */
  readonly keepFetchedInputs?: boolean;
  /** How long `drain()` lets running functions finish before handing them back. Default 5000 ms. */
  readonly drainGraceMs?: number;
  /** How long `drain()` then waits for its hand-backs and last results to reach their coordinators. Default 2000 ms. */
  readonly drainSendTimeoutMs?: number;
  /**
   * Every this many ms, ping the peers this one fetched inputs from lately, for the round trips it reports to
   * coordinators (link-meter.ts; fetches themselves are always timed). Default 30 000; 0 = never.
   */
  readonly linkPingIntervalMs?: number;
}

export interface PeerAgent {
  readonly peerId: string;
  readonly paused: boolean;
  /** Functions assigned and not yet answered. */
  readonly assigned: number;
  /** Counts for metrics: functions running now, and every answer since the agent started. */
  stats(): AgentStats;
  /** Stop taking work: functions not yet started are handed back, running ones finish. */
  pause(): void;
  resume(): void;
  /** Send the full list of held hashes to a coordinator (so its cache lookups find them). */
  announce(coordinatorId: string): Promise<void>;
  /** For SIGINT: refuse new work, hand back what has not started, let running work finish for `graceMs`, then hand it back too. */
  drain(options?: { graceMs?: number }): Promise<void>;
  /** Drains (grace 0) and detaches from the transport. Leaves the pool and store open (the caller owns them). */
  close(): Promise<void>;
  /** Messages refused so far, by `"<kind> <missing>"` (e.g. `"task:assign coordinate"`). */
  refusals(): ReadonlyMap<string, number>;
}

export interface AgentStats extends AgentReplyCounts {
  /** Functions assigned and running in a worker now (the others of `assigned` wait for inputs or a slot). */
  readonly running: number;
  readonly assigned: number;
}

export function createPeerAgent(options: PeerAgentOptions): PeerAgent {
  return new MeshPeerAgent(options);
}

class MeshPeerAgent implements PeerAgent {
  readonly peerId: string;
  private readonly port: MeshPort;
  private readonly log: Logger;
  private readonly tasks = new Map<string, AgentTask>();
  /** Executions by hash, which assignments from a coordinator that took a run over join (handover.ts). */
  private readonly runningByHash = new RunningByHash();
  private readonly holdings: AgentHoldings;
  private readonly receipts: ReceiptBook;
  private readonly status: AgentStatus;
  private readonly replies: AgentReplies;
  private readonly refused: Refusals;
  private readonly admission: AgentAdmission;
  private readonly workerFreeAt = new Map<number, number>();
  private readonly offs: (() => void)[] = [];
  private isPaused = false;
  private draining = false;
  private closed = false;

  constructor(private readonly options: PeerAgentOptions) {
    this.port = portOf(options.transport);
    this.peerId = this.port.peerId;
    this.log = options.logger ?? silentLogger;
    const store: ResultStore = options.store ?? createMemoryStore();
    this.replies = new AgentReplies(this.port);
    this.holdings = new AgentHoldings({
      port: this.port,
      store,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
      transientTtlMs: options.transientTtlMs ?? 600_000,
      keepFetched: options.keepFetchedInputs !== false,
      onAnnounce: (hash) => this.status.noteAdded(hash),
      onStoredFor: (hash, coordinator) => this.status.noteStoredFor(hash, coordinator),
      logger: this.log,
    });
    this.receipts = options.receipts ?? new ReceiptBook();
    this.status = new AgentStatus({
      port: this.port,
      store,
      holdings: this.holdings,
      receipts: this.receipts,
      statusIntervalMs: options.statusIntervalMs ?? 50,
      state: () => ({
        running: this.running(),
        slots: options.pool.size,
        paused: this.isPaused || this.draining,
      }),
      linkPingIntervalMs: options.linkPingIntervalMs ?? 30_000,
    });
    this.refused = new Refusals(this.port, this.log, 'agent');
    this.admission = new AgentAdmission({
      port: this.port,
      members: options.members ?? openMembers,
      refusals: this.refused,
      deliver: (from, message) => this.onMessage(from, message),
      ...(options.fetchKey && { grants: new GrantChecker(options.fetchKey) }),
    });
    this.offs.push(
      this.port.onForged((holder, hash) =>
        this.refused.refuse(
          'result:data',
          holder,
          'digest',
          `hash ${hash}: its bytes do not match their digest`,
        ),
      ),
    );
    this.offs.push(this.port.onMessage((from, message) => this.admission.receive(from, message)));
    // A coordinator that reconnects (after a blip it took for a loss) has forgotten what this peer holds: tell it
    // at once, so its cache lookups and input locations count on this peer again before it assigns anything.
    this.offs.push(
      this.port.transport.on('peer:connected', ({ peerId }) => {
        if (this.status.coordinators.has(peerId) && !this.closed) this.announceQuietly(peerId);
      }),
    );
    for (const c of options.coordinators ?? []) this.announceQuietly(c);
  }

  get paused(): boolean {
    return this.isPaused;
  }

  get assigned(): number {
    return this.tasks.size;
  }

  stats(): AgentStats {
    return { ...this.replies.counts(), running: this.running(), assigned: this.tasks.size };
  }

  pause(): void {
    if (this.isPaused) return;
    this.isPaused = true;
    this.handBackWaiting('it is paused');
    this.status.urgent();
  }

  resume(): void {
    if (!this.isPaused) return;
    this.isPaused = false;
    this.status.urgent();
  }

  announce(coordinatorId: string): Promise<void> {
    if (!this.admission.mayAnnounceTo(coordinatorId)) return Promise.resolve();
    return this.status.announce(coordinatorId);
  }

  refusals(): ReadonlyMap<string, number> {
    return this.refused.counts();
  }

  async drain(drainOptions: { graceMs?: number } = {}): Promise<void> {
    this.draining = true;
    this.replies.startDraining();
    this.handBackWaiting('it is shutting down');
    this.status.schedule();
    const graceMs = drainOptions.graceMs ?? this.options.drainGraceMs ?? 5000;
    const pending = [...this.tasks.values()].map((t) => t.whenEnded());
    if (pending.length > 0 && graceMs > 0) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all(pending),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    for (const task of this.tasks.values()) {
      this.replies.giveBack(task, 'it shut down before the function finished');
    }
    await this.status.flush();
    await this.replies.delivered(this.options.drainSendTimeoutMs ?? 2000);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.drain({ graceMs: 0 });
    this.closed = true;
    for (const off of this.offs) off();
    this.admission.close();
    this.status.stop();
    this.holdings.close();
  }

  // ---- the message entry point (after the admission checks of admission.ts) ----

  private onMessage(from: string, message: BatchableMessage): void {
    switch (message.type) {
      case 'task:assign':
        if (this.status.addCoordinator(from)) this.announceQuietly(from);
        for (const a of message.assignments)
          this.accept(from, message.runId, a, message.streamOutput === true);
        return;
      case 'task:cancel':
        for (const id of message.functionIds) {
          const task = this.tasks.get(taskKey(from, message.runId, id));
          if (!task) continue;
          // The coordinator asked: it expects no reply. The execution stops unless a joined task waits for it.
          release(task);
          if (task.leader) this.endFollower(task);
        }
        return;
      case 'result:receipts':
        // A coordinator's receipts (admission: `coordinate` only); checked by whichever coordinator is shown them.
        for (const r of message.receipts) this.receipts.keep(r);
        return;
      case 'result:fetch':
        if (this.admission.mayServe(from, message)) {
          void this.holdings.serveFetch(from, message.requestId, message.hash);
        } else this.holdings.refuseFetch(from, message.requestId, message.hash);
        return;
      default:
        return;
    }
  }

  // ---- running ----

  private accept(coordinator: string, runId: string, a: TaskAssignment, streamOutput: boolean): void {
    const k = taskKey(coordinator, runId, a.functionId);
    const existing = this.tasks.get(k);
    if (existing) {
      if (existing.assignment.attempt === a.attempt) return; // a duplicate message
      release(existing); // superseded: the coordinator no longer waits for it
      if (existing.leader) this.endFollower(existing);
    }
    const task = new AgentTask(coordinator, runId, a);
    if (streamOutput) task.output = new TaskOutputStream(task, this.port);
    this.tasks.set(k, task);
    if (this.isPaused || this.draining) {
      this.replies.giveBack(task, this.isPaused ? 'it is paused' : 'it is shutting down');
      this.tasks.delete(k);
      task.markEnded();
      return;
    }
    // The same function running here for another coordinator (a run taken over after a loss): wait for it.
    const leader = this.runningByHash.joinable(a);
    if (leader) {
      join(leader, task);
      return;
    }
    this.runningByHash.lead(task);
    const end = (): void => {
      if (this.tasks.get(k) === task) this.tasks.delete(k);
      this.runningByHash.ended(task);
      task.markEnded();
      for (const f of task.followers ?? []) this.endFollower(f);
    };
    const deps = {
      pool: this.options.pool,
      holdings: this.holdings,
      replies: this.replies,
      inlineLimit: this.options.inlineLimitBytes ?? INLINE_RESULT_LIMIT,
      workerFreeAt: this.workerFreeAt,
      linkTo: (peer: string) => linkText(this.options.transport, peer),
      linkFigures: (peer: string) => this.port.links.get(peer),
    };
    executeTask(task, deps).then(end, (error: unknown) => {
      this.replies.reply(task, {
        ok: false,
        reason: 'threw',
        message: `peer '${this.peerId}' failed to run it: ${String(error)}`,
      });
      end();
    });
  }

  private running(): number {
    let n = 0;
    for (const t of this.tasks.values()) if (t.started) n++;
    return n;
  }

  private handBackWaiting(why: string): void {
    for (const task of this.tasks.values()) {
      if (!task.started && !task.leader?.started) this.replies.giveBack(task, why);
    }
  }

  /** A joined task is done with: its leader ended, or its coordinator no longer waits for it. */
  private endFollower(task: AgentTask): void {
    const k = taskKey(task.coordinator, task.runId, task.assignment.functionId);
    if (this.tasks.get(k) === task) this.tasks.delete(k);
    task.markEnded();
  }

  /** Announces holdings to a coordinator; one that cannot be reached learns them when it connects again. */
  private announceQuietly(coordinatorId: string): void {
    if (!this.admission.mayAnnounceTo(coordinatorId)) return;
    this.status.announce(coordinatorId).catch((error: unknown) => {
      this.log.debug('holdings not announced', { peer: coordinatorId, reason: String(error) });
    });
  }
}

/** How the transport's link to `peer` connected, as `describeLinkPath` writes it, or `unknown`. */
function linkText(transport: Transport, peer: string): string {
  const path = transport.connections().find((c) => c.peerId === peer)?.path;
  return path ? describeLinkPath(path) : 'unknown';
}
