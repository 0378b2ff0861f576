/**
 * HEFT (Heterogeneous Earliest Finish Time; Topcuoglu, Hariri and Wu, IEEE TPDS 13(3), 2002) over a whole DAG.
 *
 * 1. Upward rank: rank(f) = w̄(f) + max over successors s of (c̄(f, s) + rank(s)), where w̄ is f's mean run time over
 *    the slots that may run it and c̄ the mean transfer time of the edge's bytes between distinct peers.
 * 2. In decreasing rank, each function goes to the slot where it finishes earliest, searching idle gaps between
 *    already planned functions (insertion) after its inputs arrive (producer's finish + transfer, 0 on one peer).
 *
 * A peer with `cores` c counts as c processors of its speed with free transfers among them. Pins and needs are
 * honoured through the shared `capabilityUnmet` filter; a function no peer may run is listed in `unplaced`.
 */
import { awaitedCounts, dagGraph, row } from '../dag/graph.js';
import type { FunctionSpec } from '../dag/types.js';
import { capabilityUnmet, resourceRequestOf } from './needs.js';
import type { NetworkModel, PeerResources } from './types.js';

export type TaskGraphInput = readonly FunctionSpec[] | { readonly functions: readonly FunctionSpec[] };

export interface HeftOptions {
  /** Bytes that travel from producer to consumer. Default 0 (only latency is paid between peers). */
  readonly edgeBytes?: (producer: string, consumer: string) => number;
  /** Run time of a function on a peer. Default `estimateMs / speed`. */
  readonly computeMs?: (fn: FunctionSpec, peer: PeerResources) => number;
  /** Estimate for functions without `cost.estimateMs`. Default 1000 ms. */
  readonly defaultEstimateMs?: number;
}

export interface PlannedFunction {
  readonly functionId: string;
  readonly peerId: string;
  readonly slot: number;
  readonly startMs: number;
  readonly finishMs: number;
}

export interface HeftPlan {
  readonly makespan: number;
  readonly placements: ReadonlyMap<string, PlannedFunction>;
  /** Functions in the order they were planned (decreasing upward rank). */
  readonly order: readonly string[];
  readonly ranks: ReadonlyMap<string, number>;
  /** Functions no peer of the plan may run, with the unmet need (or the unplaced input). */
  readonly unplaced: readonly { readonly functionId: string; readonly unmet: string }[];
}

export function functionsOf(dag: TaskGraphInput): readonly FunctionSpec[] {
  return 'functions' in dag ? dag.functions : (dag as readonly FunctionSpec[]);
}

/**
 * Distinct producers of each function and consumers of each producer (from dag/graph.ts, by id), with a
 * breadth-first topological order (Kahn): HEFT breaks rank ties by this order, so its plans stay as they were.
 * Throws `DagValidationError` for duplicate ids, unknown dependencies and cycles.
 */
export function graphOf(functions: readonly FunctionSpec[]): {
  preds: Map<string, string[]>;
  succs: Map<string, string[]>;
  topo: string[];
} {
  const graph = dagGraph(functions);
  const idsOf = (positions: ArrayLike<number>): string[] => Array.from(positions, (p) => functions[p]!.id);
  const preds = new Map<string, string[]>();
  const succs = new Map<string, string[]>();
  for (let i = 0; i < graph.n; i++) {
    preds.set(functions[i]!.id, idsOf(row(graph.producers, i)));
    succs.set(functions[i]!.id, idsOf(row(graph.dependents, i)));
  }
  const indegree = awaitedCounts(graph);
  const queue: number[] = [];
  for (let i = 0; i < graph.n; i++) if (indegree[i] === 0) queue.push(i);
  for (let k = 0; k < queue.length; k++) {
    for (const d of row(graph.dependents, queue[k]!)) if (--indegree[d]! === 0) queue.push(d);
  }
  return { preds, succs, topo: idsOf(queue) };
}

/** Mean transfer time between distinct peers: mean latency + bytes × mean (1 / bandwidth). */
function meanCommModel(peers: readonly PeerResources[], network: NetworkModel): (bytes: number) => number {
  let pairs = 0;
  let latency = 0;
  let inverseBandwidth = 0;
  for (const a of peers) {
    for (const b of peers) {
      if (a.peerId === b.peerId) continue;
      pairs++;
      latency += network.latencyMs(a.peerId, b.peerId);
      const bw = network.bandwidth(a.peerId, b.peerId);
      inverseBandwidth += bw === Number.POSITIVE_INFINITY ? 0 : 1000 / bw;
    }
  }
  if (pairs === 0) return () => 0;
  return (bytes) => latency / pairs + (bytes > 0 ? (bytes * inverseBandwidth) / pairs : 0);
}

interface Processor {
  readonly peer: PeerResources;
  readonly slot: number;
  /** Planned busy intervals, sorted by start. */
  readonly busy: Array<{ start: number; finish: number }>;
}

/** Earliest start ≥ ready where `duration` fits in an idle gap of the processor (insertion policy). */
function earliestStart(p: Processor, ready: number, duration: number): { start: number; at: number } {
  let previousFinish = 0;
  for (let i = 0; i < p.busy.length; i++) {
    const interval = p.busy[i]!;
    const start = Math.max(ready, previousFinish);
    if (start + duration <= interval.start) return { start, at: i };
    previousFinish = Math.max(previousFinish, interval.finish);
  }
  return { start: Math.max(ready, previousFinish), at: p.busy.length };
}

export function planHeft(
  dag: TaskGraphInput,
  peers: readonly PeerResources[],
  network: NetworkModel,
  options: HeftOptions = {},
): HeftPlan {
  const functions = functionsOf(dag);
  const { preds, succs, topo } = graphOf(functions);
  const byId = new Map(functions.map((f) => [f.id, f]));
  const edgeBytes = options.edgeBytes ?? (() => 0);
  const defaultEstimate = options.defaultEstimateMs ?? 1000;
  const computeMs =
    options.computeMs ??
    ((f: FunctionSpec, p: PeerResources) => (f.cost?.estimateMs ?? defaultEstimate) / p.speed);
  const processors: Processor[] = [];
  for (const peer of peers) {
    if (peer.paused) continue;
    for (let slot = 0; slot < Math.floor(peer.cores); slot++) processors.push({ peer, slot, busy: [] });
  }
  const eligible = new Map<string, Processor[]>();
  const unmetOf = new Map<string, string>();
  for (const f of functions) {
    const req = resourceRequestOf(f);
    const ok = processors.filter((p) => capabilityUnmet(p.peer, req) === undefined);
    eligible.set(f.id, ok);
    if (ok.length === 0) {
      unmetOf.set(
        f.id,
        processors.map((p) => capabilityUnmet(p.peer, req)).find((u) => u) ?? 'a peer with a slot',
      );
    }
  }

  const meanComm = meanCommModel(
    peers.filter((p) => !p.paused),
    network,
  );
  const ranks = new Map<string, number>();
  for (let i = topo.length - 1; i >= 0; i--) {
    const id = topo[i]!;
    const f = byId.get(id)!;
    const procs = eligible.get(id)!;
    const w =
      procs.length > 0
        ? procs.reduce((sum, p) => sum + computeMs(f, p.peer), 0) / procs.length
        : (f.cost?.estimateMs ?? defaultEstimate);
    let tail = 0;
    for (const s of succs.get(id)!) tail = Math.max(tail, meanComm(edgeBytes(id, s)) + ranks.get(s)!);
    ranks.set(id, w + tail);
  }

  // Decreasing rank; equal ranks (zero-cost functions) keep topological order so producers come first.
  const position = new Map(topo.map((id, i) => [id, i]));
  const order = [...topo].sort(
    (a, b) => ranks.get(b)! - ranks.get(a)! || position.get(a)! - position.get(b)!,
  );

  const placements = new Map<string, PlannedFunction>();
  const unplaced: Array<{ functionId: string; unmet: string }> = [];
  for (const id of order) {
    const f = byId.get(id)!;
    const lost = preds.get(id)!.find((p) => !placements.has(p));
    if (unmetOf.has(id) || lost !== undefined) {
      unplaced.push({ functionId: id, unmet: unmetOf.get(id) ?? `input '${lost}' (unplaced)` });
      continue;
    }
    let best: { p: Processor; start: number; finish: number; at: number } | undefined;
    for (const p of eligible.get(id)!) {
      let ready = 0;
      for (const pred of preds.get(id)!) {
        const planned = placements.get(pred)!;
        const comm =
          planned.peerId === p.peer.peerId
            ? 0
            : network.transferMs(planned.peerId, p.peer.peerId, edgeBytes(pred, id));
        ready = Math.max(ready, planned.finishMs + comm);
      }
      const duration = computeMs(f, p.peer);
      const { start, at } = earliestStart(p, ready, duration);
      if (best === undefined || start + duration < best.finish)
        best = { p, start, finish: start + duration, at };
    }
    const chosen = best!;
    chosen.p.busy.splice(chosen.at, 0, { start: chosen.start, finish: chosen.finish });
    placements.set(id, {
      functionId: id,
      peerId: chosen.p.peer.peerId,
      slot: chosen.p.slot,
      startMs: chosen.start,
      finishMs: chosen.finish,
    });
  }
  let makespan = 0;
  for (const p of placements.values()) makespan = Math.max(makespan, p.finishMs);
  return { makespan, placements, order, ranks, unplaced };
}
