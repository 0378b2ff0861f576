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
 * What the peer holds (store, transient results, decoded values, fetches) is in agent-holdings.ts; the
 * `peer:status` reporting in agent-status.ts; this file runs the assigned functions and answers for them.
 */
import type { FunctionSpec } from '../dag/types.js';
import { parseArgRef } from '../dag/types.js';
import { type MeshPort, portOf } from '../mesh/port.js';
import type { BatchableMessage, TaskAssignment, TaskFailureReason } from '../protocol/messages.js';
import { encodeValue } from '../protocol/value-codec.js';
import { createMemoryStore } from '../store/memory.js';
import type { ResultStore } from '../store/types.js';
import type { Transport } from '../transport/types.js';
import { Cancellation } from '../worker/cancellation.js';
import type { WorkerPool } from '../worker/pool.js';
import { AgentHoldings, type InputValue } from './holdings.js';
import { AgentStatus } from './status.js';

/** Results up to this many encoded bytes ride inline with `task:result` (one frame, no fetch round trip). */
export const INLINE_RESULT_LIMIT = 16 * 1024;

export interface PeerAgentOptions {
  readonly transport: Transport;
  readonly pool: WorkerPool;
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
  /** Stop taking work: functions not yet started are handed back, running ones finish. */
  pause(): void;
  resume(): void;
  /** Send the full list of held hashes to a coordinator (so its cache lookups find them). */
  announce(coordinatorId: string): Promise<void>;
  /** For SIGINT: refuse new work, hand back what has not started, let running work finish for `graceMs`, then hand it back too. */
  drain(options?: { graceMs?: number }): Promise<void>;
  /** Drains (grace 0) and detaches from the transport. Leaves the pool and store open (the caller owns them). */
  close(): Promise<void>;
}

interface Task {
  readonly coordinator: string;
  readonly runId: string;
  readonly assignment: TaskAssignment;
  readonly cancel: Cancellation;
  started: boolean;
  /** A reply was sent (or must not be: cancelled by the coordinator). */
  settled: boolean;
  /** Its execution ended (replied or not). */
  ended: boolean;
  /** Who waits for it to end (`drain`); made only then, not per task. */
  onEnded: (() => void)[] | undefined;
}

/** Resolves when `task` has ended. */
const ended = (task: Task): Promise<void> =>
  task.ended
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        task.onEnded ??= [];
        task.onEnded.push(resolve);
      });

const markEnded = (task: Task): void => {
  task.ended = true;
  const waiters = task.onEnded ?? [];
  task.onEnded = undefined;
  for (const resolve of waiters) resolve();
};

export function createPeerAgent(options: PeerAgentOptions): PeerAgent {
  const port: MeshPort = portOf(options.transport);
  const pool = options.pool;
  const store = options.store ?? createMemoryStore();
  const inlineLimit = options.inlineLimitBytes ?? INLINE_RESULT_LIMIT;
  const tasks = new Map<string, Task>();
  let paused = false;
  let draining = false;
  let closed = false;
  const runningCount = (): number => {
    let n = 0;
    for (const t of tasks.values()) if (t.started) n++;
    return n;
  };
  const holdings = new AgentHoldings({
    port,
    store,
    fetchTimeoutMs: options.fetchTimeoutMs ?? 30_000,
    transientTtlMs: options.transientTtlMs ?? 600_000,
    keepFetched: options.keepFetchedInputs !== false,
    onAnnounce: (hash) => status.noteAdded(hash),
  });
  const status = new AgentStatus({
    port,
    store,
    holdings,
    statusIntervalMs: options.statusIntervalMs ?? 50,
    state: () => ({ running: runningCount(), slots: pool.size, paused: paused || draining }),
    linkPingIntervalMs: options.linkPingIntervalMs ?? 30_000,
  });
  const announce = (coordinatorId: string): Promise<void> => status.announce(coordinatorId);
  /**
   * When each worker last finished something. The pool stamps every function of a batch with the batch's start,
   * so a function's own cost is measured from when its worker became free: the time it really took the worker.
   */
  const workerFreeAt = new Map<number, number>();

  const key = (coordinator: string, runId: string, functionId: string): string =>
    `${coordinator}\0${runId}\0${functionId}`;

  // ---- replies ----

  /**
   * Replies leave with `post` (no promise per message); while draining, with `send`, so `drain()` can wait until
   * the hand-backs and last results reached their coordinators before the caller closes the transport.
   */
  const sending = new Set<Promise<void>>();
  const drainedTo = new Set<string>();
  const deliver = (coordinator: string, message: BatchableMessage): void => {
    if (!draining) {
      port.post(coordinator, message);
      return;
    }
    drainedTo.add(coordinator);
    const sent = port.send(coordinator, message).catch(() => {}); // a coordinator gone cannot be told
    sending.add(sent);
    void sent.then(() => sending.delete(sent));
  };

  const reply = (
    task: Task,
    body:
      | { ok: true; size: number; durationMs: number; inline?: Uint8Array }
      | {
          ok: false;
          reason: TaskFailureReason;
          message: string;
          stack?: string;
          missingInput?: string;
        },
  ): void => {
    if (task.settled) return;
    task.settled = true;
    const a = task.assignment;
    const head = { runId: task.runId, functionId: a.functionId, hash: a.hash, attempt: a.attempt };
    if (body.ok) {
      deliver(task.coordinator, {
        type: 'task:result',
        ...head,
        size: body.size,
        durationMs: body.durationMs,
        ...(body.inline && { inline: body.inline }),
      });
    } else {
      deliver(task.coordinator, {
        type: 'task:failed',
        ...head,
        reason: body.reason,
        message: body.message,
        ...(body.stack !== undefined && { stack: body.stack }),
        ...(body.missingInput !== undefined && { missingInput: body.missingInput }),
      });
    }
  };

  const giveBack = (task: Task, why: string): void => {
    reply(task, { ok: false, reason: 'cancelled', message: `peer '${port.peerId}' handed it back: ${why}` });
    task.cancel.abort();
  };

  // ---- running ----

  const execute = async (task: Task): Promise<void> => {
    const a = task.assignment;
    const spec: FunctionSpec = a.spec;
    const args: unknown[] = [];
    const values = new Map<string, unknown>();
    for (const ref of spec.args) {
      const { producer, output } = parseArgRef(ref);
      if (!values.has(producer)) {
        let got: InputValue | undefined;
        try {
          // Inline and recently computed inputs are at hand: no await (a microtask per input adds up).
          got = holdings.inputValueNow(producer, a) ?? (await holdings.inputValue(producer, a));
        } catch (error) {
          reply(task, {
            ok: false,
            reason: 'input-lost',
            message: `input '${producer}' could not be decoded: ${(error as Error).message}`,
            missingInput: a.inputs[producer]?.hash ?? producer,
          });
          return;
        }
        if (!got.ok) {
          reply(task, {
            ok: false,
            reason: 'input-lost',
            message: `input '${producer}' (hash ${got.hash}) is on none of its holders`,
            missingInput: got.hash,
          });
          return;
        }
        values.set(producer, got.value);
      }
      const value = values.get(producer);
      args.push(output === undefined ? value : (value as readonly unknown[])[output]);
    }
    for (const extra of spec.extraArgs ?? []) args.push(extra);
    if (task.cancel.aborted) return;
    const outcome = await pool.run(
      { functionId: spec.id, code: spec.code, args, outputs: spec.outputs ?? 1 },
      {
        signal: task.cancel,
        ...(spec.cost?.estimateMs !== undefined && { estimateMs: spec.cost.estimateMs }),
        ...(spec.timeoutMs !== undefined && { timeoutMs: spec.timeoutMs }),
        onStart: () => {
          task.started = true;
        },
      },
    );
    if (!outcome.ok) {
      reply(task, {
        ok: false,
        reason: outcome.reason,
        message: outcome.message,
        ...(outcome.stack !== undefined && { stack: outcome.stack }),
      });
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = encodeValue(outcome.value);
    } catch (error) {
      reply(task, {
        ok: false,
        reason: 'threw',
        message: `its result cannot be encoded: ${(error as Error).message}`,
      });
      return;
    }
    holdings.remember(a.hash, outcome.value);
    if (spec.cache === false) holdings.keepTransient(a.hash, bytes);
    else holdings.keep(a.hash, bytes, false);
    const freeAt = workerFreeAt.get(outcome.worker) ?? 0;
    workerFreeAt.set(outcome.worker, outcome.endedAt);
    reply(task, {
      ok: true,
      size: bytes.byteLength,
      durationMs: Math.max(0, outcome.endedAt - Math.max(outcome.startedAt, freeAt)),
      ...(bytes.byteLength <= inlineLimit && { inline: bytes }),
    });
  };

  const accept = (coordinator: string, runId: string, a: TaskAssignment): void => {
    const k = key(coordinator, runId, a.functionId);
    const existing = tasks.get(k);
    if (existing) {
      if (existing.assignment.attempt === a.attempt) return; // a duplicate message
      existing.settled = true; // superseded: the coordinator no longer waits for it
      existing.cancel.abort();
    }
    const task: Task = {
      coordinator,
      runId,
      assignment: a,
      cancel: new Cancellation(),
      started: false,
      settled: false,
      ended: false,
      onEnded: undefined,
    };
    tasks.set(k, task);
    if (paused || draining) {
      giveBack(task, paused ? 'it is paused' : 'it is shutting down');
      tasks.delete(k);
      markEnded(task);
      return;
    }
    const end = (): void => {
      if (tasks.get(k) === task) tasks.delete(k);
      markEnded(task);
    };
    execute(task).then(end, (error: unknown) => {
      reply(task, {
        ok: false,
        reason: 'threw',
        message: `peer '${port.peerId}' failed to run it: ${String(error)}`,
      });
      end();
    });
  };

  const offMessage = port.onMessage((from, message) => {
    switch (message.type) {
      case 'task:assign':
        if (status.addCoordinator(from)) void announce(from).catch(() => {});
        for (const a of message.assignments) accept(from, message.runId, a);
        return;
      case 'task:cancel':
        for (const id of message.functionIds) {
          const task = tasks.get(key(from, message.runId, id));
          if (!task) continue;
          task.settled = true; // the coordinator asked: it expects no reply
          task.cancel.abort();
        }
        return;
      case 'result:fetch':
        void holdings.serveFetch(from, message.requestId, message.hash);
        return;
      default:
        return;
    }
  });

  for (const c of options.coordinators ?? []) void announce(c).catch(() => {});

  // A coordinator that reconnects (after a blip it took for a loss) has forgotten what this peer holds: tell it
  // at once, so its cache lookups and input locations count on this peer again before it assigns anything.
  const offConnected = port.transport.on('peer:connected', ({ peerId }) => {
    if (status.coordinators.has(peerId) && !closed) void announce(peerId).catch(() => {});
  });

  const handBackWaiting = (why: string): void => {
    for (const task of tasks.values()) if (!task.started) giveBack(task, why);
  };

  const drain = async (drainOptions: { graceMs?: number } = {}): Promise<void> => {
    draining = true;
    handBackWaiting('it is shutting down');
    status.schedule();
    const graceMs = drainOptions.graceMs ?? options.drainGraceMs ?? 5000;
    const pending = [...tasks.values()].map(ended);
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
    for (const task of tasks.values()) giveBack(task, 'it shut down before the function finished');
    await status.flush();
    // A send resolves when its bytes were handed to the channel, not when they arrived; closing the channel then
    // may drop them. A ping answered on the same ordered channel proves everything sent before it arrived.
    // Bounded: a channel that never drains must not hold the peer's exit forever.
    if (sending.size > 0 || drainedTo.size > 0) {
      const targets = [...drainedTo];
      drainedTo.clear();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...sending]).then(() =>
          Promise.all(
            targets.map((c) => (c === port.peerId ? undefined : port.transport.ping(c).catch(() => {}))),
          ),
        ),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, options.drainSendTimeoutMs ?? 2000);
        }),
      ]);
      clearTimeout(timer);
    }
  };

  return {
    peerId: port.peerId,
    get paused() {
      return paused;
    },
    get assigned() {
      return tasks.size;
    },
    pause() {
      if (paused) return;
      paused = true;
      handBackWaiting('it is paused');
      status.schedule();
    },
    resume() {
      if (!paused) return;
      paused = false;
      status.schedule();
    },
    announce,
    drain,
    async close() {
      if (closed) return;
      await drain({ graceMs: 0 });
      closed = true;
      offMessage();
      offConnected();
      status.stop();
      holdings.close();
    },
  };
}
