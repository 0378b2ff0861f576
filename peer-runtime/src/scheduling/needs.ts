/**
 * The one place that decides whether a peer may run a function: pins and needs. The tracker, the allocator core,
 * HEFT planning and the guard around custom allocators all go through these functions, so the rule holds everywhere.
 */
import type { FunctionSpec } from '../dag/types.js';
import { HandoutError } from '../errors.js';
import type { PeerResources, PeerView, ResourceRequest, ResourceUsage } from './types.js';

/** A malformed capability or request: names the peer or function and the field. */
export class SchedulingError extends HandoutError {
  override name = 'SchedulingError';
  constructor(
    message: string,
    readonly field: string,
    readonly peerId?: string,
    readonly functionId?: string,
  ) {
    super(message);
  }
}

/** The needs of one function spec. Throws SchedulingError naming the function and field for negative values. */
/**
 * Requests already derived, by spec: the allocator, the tracker and the dispatcher each ask for every function
 * placed, thousands of times a second. Kept with the `cost` and `node` they came from, so a spec given a new
 * cost or pin object is derived again (a cost object changed in place is not noticed: specs are data, and a
 * submitted DAG is not expected to change under its run).
 */
const requests = new WeakMap<
  FunctionSpec,
  { cost: FunctionSpec['cost']; node: FunctionSpec['node']; request: ResourceRequest }
>();

/**
 * The request of a spec with neither `cost` nor `node` (most functions): one shared, frozen object, so such specs
 * take no cache entry (a WeakMap entry and two objects, ~180 B per function of a big run: issue 16, goal 2).
 */
const DEFAULT_REQUEST: ResourceRequest = Object.freeze({
  cpu: 1,
  memoryMB: 0,
  gpu: false,
  resources: Object.freeze({}),
});

export function resourceRequestOf(spec: FunctionSpec): ResourceRequest {
  if (spec.cost === undefined && spec.node === undefined) return DEFAULT_REQUEST;
  const known = requests.get(spec);
  if (known !== undefined && known.cost === spec.cost && known.node === spec.node) return known.request;
  const request = deriveRequest(spec);
  requests.set(spec, { cost: spec.cost, node: spec.node, request });
  return request;
}

function deriveRequest(spec: FunctionSpec): ResourceRequest {
  const cost = spec.cost ?? {};
  const check = (field: string, value: number): number => {
    if (!Number.isFinite(value) || value < 0) {
      throw new SchedulingError(
        `function '${spec.id}' has an invalid ${field}: ${value} (expected a finite number >= 0)`,
        field,
        undefined,
        spec.id,
      );
    }
    return value;
  };
  const resources: Record<string, number> = {};
  for (const [name, amount] of Object.entries(cost.resources ?? {})) {
    resources[name] = check(`cost.resources.${name}`, amount);
  }
  return {
    cpu: check('cost.cpu', cost.cpu ?? 1),
    memoryMB: check('cost.memoryMB', cost.memoryMB ?? 0),
    gpu: cost.gpu ?? false,
    resources,
    ...(spec.node === undefined ? {} : { node: spec.node }),
  };
}

/**
 * The first need or pin the peer cannot meet even when idle (ignores pause and usage), or undefined.
 * Order: pin peer, platform, tags, gpu, cpu, memoryMB, custom resources.
 */
export function capabilityUnmet(peer: PeerResources, req: ResourceRequest): string | undefined {
  const node = req.node;
  if (typeof node === 'string') {
    if (node !== peer.peerId) return `peer '${node}'`;
  } else if (node !== undefined) {
    if (node.peer !== undefined && node.peer !== peer.peerId) return `peer '${node.peer}'`;
    if (node.platform !== undefined && node.platform !== peer.platform) return `platform '${node.platform}'`;
    for (const tag of node.tags ?? []) if (!peer.tags.includes(tag)) return `tag '${tag}'`;
    if (node.gpu === true && !peer.gpu) return 'gpu';
  }
  if (req.gpu && !peer.gpu) return 'gpu';
  if (req.cpu > peer.cores) return `cpu ${req.cpu} > ${peer.cores}`;
  if (req.memoryMB > peer.memoryMB) return `memoryMB ${req.memoryMB} > ${peer.memoryMB}`;
  for (const [name, amount] of Object.entries(req.resources)) {
    const has = peer.resources?.[name] ?? 0;
    if (amount > has) return `${name} ${amount} > ${has}`;
  }
  return undefined;
}

/**
 * The first need the peer cannot meet with what is free now (assumes `capabilityUnmet` passed). `queueCpu` is cpu
 * the peer may take beyond its cores as queued work (a coordinator's pipelining allowance); default 0.
 */
export function freeUnmet(
  peer: PeerResources,
  used: ResourceUsage,
  req: ResourceRequest,
  queueCpu = 0,
): string | undefined {
  const freeCpu = peer.cores + queueCpu - used.cpu;
  if (req.cpu > freeCpu + EPSILON || (req.cpu === 0 && freeCpu <= 0))
    return `cpu ${req.cpu} > ${freeCpu} free`;
  const freeMem = peer.memoryMB - used.memoryMB;
  if (req.memoryMB > freeMem + EPSILON) return `memoryMB ${req.memoryMB} > ${freeMem} free`;
  for (const [name, amount] of Object.entries(req.resources)) {
    const free = (peer.resources?.[name] ?? 0) - (used.resources[name] ?? 0);
    if (amount > free + EPSILON) return `${name} ${amount} > ${free} free`;
  }
  return undefined;
}

/** Fractional cpu (0.5 + 0.25 + 0.25) must fit exactly despite floating point. */
const EPSILON = 1e-9;

/**
 * Why a peer cannot take the request now (pin, need, pause or room), or undefined when it can. `queueCpu`: see
 * `freeUnmet` (only room is widened by it; pins and needs are checked against the real capabilities).
 */
export function peerUnmet(peer: PeerView, req: ResourceRequest, queueCpu = 0): string | undefined {
  return (
    capabilityUnmet(peer, req) ??
    (peer.paused ? 'an unpaused peer' : freeUnmet(peer, peer.used, req, queueCpu))
  );
}

/**
 * Across peers: the need that rules out the last candidates, applied in the order of `capabilityUnmet`, with the
 * best offer left (`memoryMB 4096 > 2048` quotes the largest memory among peers that met the earlier needs).
 * Undefined when some unpaused peer could run the request when idle.
 */
export function unmetAcross(peers: readonly PeerResources[], req: ResourceRequest): string | undefined {
  if (peers.length === 0) return 'a contributing peer (none connected)';
  const capable = peers.filter((p) => capabilityUnmet(p, req) === undefined);
  if (capable.length > 0) {
    return capable.some((p) => !p.paused) ? undefined : 'an unpaused peer (every matching peer is paused)';
  }
  // Re-run the checks one need at a time so the message names the need that empties the field.
  let field: readonly PeerResources[] = peers;
  const steps: Array<(p: PeerResources) => string | undefined> = [
    (p) => capabilityUnmet(p, { ...req, gpu: false, cpu: 0, memoryMB: 0, resources: {} }),
    (p) => capabilityUnmet(p, { cpu: 0, memoryMB: 0, gpu: req.gpu, resources: {} }),
    (p) => capabilityUnmet(p, { cpu: req.cpu, memoryMB: 0, gpu: false, resources: {} }),
    (p) => capabilityUnmet(p, { cpu: 0, memoryMB: req.memoryMB, gpu: false, resources: {} }),
  ];
  for (const name of Object.keys(req.resources)) {
    steps.push((p) =>
      capabilityUnmet(p, { cpu: 0, memoryMB: 0, gpu: false, resources: { [name]: req.resources[name]! } }),
    );
  }
  for (const step of steps) {
    const kept = field.filter((p) => step(p) === undefined);
    if (kept.length === 0) return bestOffer(field, step);
    field = kept;
  }
  return capabilityUnmet(peers[0]!, req);
}

/** The unmet message of the peer that came closest (largest offer quoted), for a useful error. */
function bestOffer(field: readonly PeerResources[], step: (p: PeerResources) => string | undefined): string {
  const messages = field.map((p) => step(p) ?? '');
  const quoted = (m: string): number => Number(/> (\S+)$/.exec(m)?.[1] ?? Number.NaN);
  let best = messages[0]!;
  for (const m of messages) if (quoted(m) > quoted(best)) best = m;
  return best;
}
