/**
 * A discrete-event simulator for allocators: runs a DAG (functions with `cost.estimateMs`, edges with bytes) on
 * simulated peers of given speeds and slots over a network model, allocating dynamically as a coordinator would:
 * whenever functions become ready or slots free up, the ready functions go to the allocator, and each assignment
 * takes a grant from a real ResourceTracker. A placed function holds its slot while it fetches the inputs its peer
 * lacks (in parallel, each from the producer's peer) and then runs for estimate / speed.
 *
 * Pure and synchronous: simulated time only, no timers.
 */
import type { FunctionSpec } from '../dag/types.js';
import { functionsOf, graphOf, type TaskGraphInput } from './heft.js';
import { resourceRequestOf, SchedulingError } from './needs.js';
import { createNetworkModel } from './network.js';
import { createResourceTracker } from './resource-tracker.js';
import type {
  Allocator,
  NetworkModel,
  PeerCapabilitiesInput,
  ReadyFunction,
  ResourceGrant,
} from './types.js';

export interface SimulatedPeer extends PeerCapabilitiesInput {
  readonly peerId: string;
}

export interface SimulateOptions {
  /** Default: `createNetworkModel()` (100 Mbit/s, 20 ms). */
  readonly network?: NetworkModel;
  /** Bytes from producer to consumer. Default 0. */
  readonly edgeBytes?: (producer: string, consumer: string) => number;
  /** Estimate for functions without `cost.estimateMs`. Default 1000 ms. */
  readonly defaultEstimateMs?: number;
}

export interface SimulatedExecution {
  readonly functionId: string;
  readonly peerId: string;
  /** When the allocator placed it (its slot is held from here). */
  readonly placedMs: number;
  /** When its inputs had arrived and it began to run. */
  readonly startMs: number;
  readonly finishMs: number;
}

export interface SimulationResult {
  readonly makespan: number;
  /** Function id → peer id. */
  readonly placements: ReadonlyMap<string, string>;
  readonly schedule: readonly SimulatedExecution[];
  /** Per peer: functions run and slot time held (fetch + run). */
  readonly perPeer: Readonly<Record<string, { functions: number; busyMs: number }>>;
  /** Σ costRate × held time / 1000 over all functions, in the mesh's cost unit. */
  readonly cost: number;
  /** Bytes that moved between distinct peers. */
  readonly bytesMoved: number;
}

interface Running {
  readonly execution: SimulatedExecution;
  readonly grant: ResourceGrant;
}

export function simulate(
  dag: TaskGraphInput,
  peers: readonly SimulatedPeer[],
  allocator: Allocator,
  options: SimulateOptions = {},
): SimulationResult {
  const functions = functionsOf(dag);
  const { preds, succs } = graphOf(functions);
  const byId = new Map<string, FunctionSpec>(functions.map((f) => [f.id, f]));
  const network = options.network ?? createNetworkModel();
  const edgeBytes = options.edgeBytes ?? (() => 0);
  const defaultEstimate = options.defaultEstimateMs ?? 1000;
  const tracker = createResourceTracker();
  for (const { peerId, ...caps } of peers) tracker.register(peerId, caps);

  const remaining = new Map(functions.map((f) => [f.id, preds.get(f.id)!.length]));
  let ready: string[] = functions.filter((f) => remaining.get(f.id) === 0).map((f) => f.id);
  const placements = new Map<string, string>();
  const schedule: SimulatedExecution[] = [];
  const perPeer: Record<string, { functions: number; busyMs: number }> = {};
  for (const p of peers) perPeer[p.peerId] = { functions: 0, busyMs: 0 };
  let running: Running[] = []; // kept sorted by finish time
  let now = 0;
  let cost = 0;
  let bytesMoved = 0;
  let done = 0;

  const readyFunction = (id: string): ReadyFunction => ({
    spec: byId.get(id)!,
    inputs: preds
      .get(id)!
      .map((p) => ({ producerId: p, bytes: edgeBytes(p, id), holders: [placements.get(p)!] })),
  });

  while (done < functions.length) {
    if (ready.length > 0) {
      const allocation = allocator.allocate({
        functions: ready.map(readyFunction),
        peers: tracker.peers(),
        network,
      });
      const placedNow = new Set<string>();
      for (const { functionId, peerId } of allocation.assignments) {
        const spec = byId.get(functionId)!;
        const granted = tracker.request(peerId, resourceRequestOf(spec));
        if (!granted.ok) {
          throw new SchedulingError(
            `allocator '${allocator.name}' placed '${functionId}' on '${peerId}', which refused: ${granted.unmet}`,
            'assignments',
            peerId,
            functionId,
          );
        }
        const peer = tracker.peer(peerId)!;
        let fetchMs = 0;
        for (const p of preds.get(functionId)!) {
          const from = placements.get(p)!;
          const bytes = edgeBytes(p, functionId);
          if (from !== peerId) bytesMoved += bytes;
          fetchMs = Math.max(fetchMs, network.transferMs(from, peerId, bytes));
        }
        const runMs = (spec.cost?.estimateMs ?? defaultEstimate) / peer.speed;
        const execution = {
          functionId,
          peerId,
          placedMs: now,
          startMs: now + fetchMs,
          finishMs: now + fetchMs + runMs,
        };
        placements.set(functionId, peerId);
        placedNow.add(functionId);
        schedule.push(execution);
        perPeer[peerId]!.functions++;
        perPeer[peerId]!.busyMs += fetchMs + runMs;
        cost += (peer.costRate * (fetchMs + runMs)) / 1000;
        const at = running.findIndex((r) => r.execution.finishMs > execution.finishMs);
        running.splice(at === -1 ? running.length : at, 0, { execution, grant: granted.grant });
      }
      if (placedNow.size > 0) ready = ready.filter((id) => !placedNow.has(id));
      if (running.length === 0) {
        const why = allocation.waiting[0]?.message ?? 'the allocator placed nothing';
        throw new SchedulingError(`simulation stalled at ${now} ms: ${why}`, 'allocation');
      }
    }
    // Advance to the next completion; complete everything finishing at that instant.
    now = running[0]!.execution.finishMs;
    let cut = 0;
    while (cut < running.length && running[cut]!.execution.finishMs <= now) cut++;
    const finished = running.slice(0, cut);
    running = running.slice(cut);
    for (const { execution, grant } of finished) {
      tracker.release(grant);
      done++;
      for (const s of succs.get(execution.functionId)!) {
        const left = remaining.get(s)! - 1;
        remaining.set(s, left);
        if (left === 0) ready.push(s);
      }
    }
  }
  return { makespan: now, placements, schedule, perPeer, cost, bytesMoved };
}
