/**
 * The default in-memory ResourceTracker. The coordinator feeds it from the signaling registry (peers joining and
 * leaving with their capabilities) and from peers' runtime updates (pause, core count), and takes a grant for every
 * function it dispatches. Synchronous and pure: no timers, no I/O.
 */
import { PeerError } from '../errors.js';
import { capabilityUnmet, freeUnmet, SchedulingError, unmetAcross } from './needs.js';
import type {
  PeerResources,
  PeerView,
  RequestResult,
  ResourceGrant,
  ResourceRequest,
  ResourceTracker,
  ResourceTrackerEvents,
  Satisfiable,
} from './types.js';

/** Defaults for capabilities a peer did not advertise. */
export const DEFAULT_CAPABILITIES: Omit<PeerResources, 'peerId'> = {
  platform: 'node',
  cores: 1,
  memoryMB: Number.POSITIVE_INFINITY,
  gpu: false,
  tags: [],
  costRate: 0,
  speed: 1,
  resources: {},
  paused: false,
};

interface PeerEntry {
  caps: PeerResources;
  used: { cpu: number; memoryMB: number; resources: Record<string, number> };
  grants: Set<number>;
}

type Listeners = { [E in keyof ResourceTrackerEvents]: Set<ResourceTrackerEvents[E]> };

/**
 * A little over 120 lines on purpose: the returned object's methods are each a few lines over the same two maps
 * (`entries`, `grants`), which is how a reader sees the tracker's state in one place.
 */
export function createResourceTracker(): ResourceTracker {
  const entries = new Map<string, PeerEntry>();
  const grants = new Map<number, ResourceGrant>();
  let nextGrant = 1;
  const listeners: Listeners = {
    'peer:joined': new Set(),
    'peer:left': new Set(),
    'peer:updated': new Set(),
    'capacity:freed': new Set(),
  };

  const view = (entry: PeerEntry): PeerView => ({
    ...entry.caps,
    used: { cpu: entry.used.cpu, memoryMB: entry.used.memoryMB, resources: { ...entry.used.resources } },
    running: entry.grants.size,
  });

  function emit<E extends keyof ResourceTrackerEvents>(
    event: E,
    ...args: Parameters<ResourceTrackerEvents[E]>
  ) {
    for (const listener of [...listeners[event]]) (listener as (...a: typeof args) => void)(...args);
  }

  function refusal(peerId: string, req: ResourceRequest): Extract<RequestResult, { ok: false }> | undefined {
    const entry = entries.get(peerId);
    if (entry === undefined)
      return { ok: false, reason: 'unknown_peer', unmet: `peer '${peerId}' (not registered)` };
    const cap = capabilityUnmet(entry.caps, req);
    if (cap !== undefined) return { ok: false, reason: 'resources_unavailable', unmet: cap };
    if (entry.caps.paused) return { ok: false, reason: 'paused', unmet: 'an unpaused peer' };
    const free = freeUnmet(entry.caps, entry.used, req);
    if (free !== undefined) return { ok: false, reason: 'resources_unavailable', unmet: free };
    return undefined;
  }

  return {
    register(peerId, caps) {
      const existing = entries.get(peerId);
      const resolved = normalise(peerId, { ...DEFAULT_CAPABILITIES, ...caps });
      if (existing !== undefined) {
        const previous = view(existing);
        existing.caps = resolved;
        const now = view(existing);
        emit('peer:updated', now, previous);
        return now;
      }
      const entry: PeerEntry = {
        caps: resolved,
        used: { cpu: 0, memoryMB: 0, resources: {} },
        grants: new Set(),
      };
      entries.set(peerId, entry);
      const now = view(entry);
      emit('peer:joined', now);
      return now;
    },

    update(peerId, partial) {
      const entry = entries.get(peerId);
      if (entry === undefined)
        throw new PeerError(peerId, `cannot update peer '${peerId}': it is not registered`);
      const previous = view(entry);
      entry.caps = normalise(peerId, { ...entry.caps, ...partial });
      const now = view(entry);
      emit('peer:updated', now, previous);
      return now;
    },

    unregister(peerId) {
      const entry = entries.get(peerId);
      if (entry === undefined) return;
      for (const id of entry.grants) grants.delete(id);
      entries.delete(peerId);
      emit('peer:left', peerId);
    },

    available(peerId, req) {
      return refusal(peerId, req) === undefined;
    },

    request(peerId, req) {
      const refused = refusal(peerId, req);
      if (refused !== undefined) return refused;
      const entry = entries.get(peerId)!;
      const grant: ResourceGrant = { id: nextGrant++, peerId, request: req };
      addUsage(entry.used, req, 1);
      entry.grants.add(grant.id);
      grants.set(grant.id, grant);
      return { ok: true, grant };
    },

    release(grant) {
      if (!grants.delete(grant.id)) return;
      const entry = entries.get(grant.peerId);
      if (entry === undefined || !entry.grants.delete(grant.id)) return;
      addUsage(entry.used, grant.request, -1);
      // A release happens once per function: build the view (a copy of the capabilities and usage) only for
      // someone who listens (the coordinator does not; issue 16's profile counted it among its per-function costs).
      if (listeners['capacity:freed'].size > 0) emit('capacity:freed', view(entry));
    },

    peer(peerId) {
      const entry = entries.get(peerId);
      return entry === undefined ? undefined : view(entry);
    },

    peers() {
      return [...entries.values()].map(view);
    },

    canEverSatisfy(req): Satisfiable {
      const unmet = unmetAcross(
        [...entries.values()].map((e) => e.caps),
        req,
      );
      return unmet === undefined ? { ok: true } : { ok: false, unmet };
    },

    on(event, listener) {
      const set = listeners[event] as Set<typeof listener>;
      set.add(listener);
      return () => {
        set.delete(listener);
      };
    },
  };
}

/** Add (sign 1) or remove (sign -1) a request's resources; clamps float dust at zero so usage never goes negative. */
function addUsage(
  used: { cpu: number; memoryMB: number; resources: Record<string, number> },
  req: ResourceRequest,
  sign: 1 | -1,
): void {
  const clamp = (v: number): number => (Math.abs(v) < 1e-9 ? 0 : v);
  used.cpu = clamp(used.cpu + sign * req.cpu);
  used.memoryMB = clamp(used.memoryMB + sign * req.memoryMB);
  for (const [name, amount] of Object.entries(req.resources)) {
    const next = clamp((used.resources[name] ?? 0) + sign * amount);
    if (next === 0) delete used.resources[name];
    else used.resources[name] = next;
  }
}

/** Validate advertised capabilities: a clear error naming the peer and field instead of a silent NaN. */
function normalise(peerId: string, caps: Omit<PeerResources, 'peerId'>): PeerResources {
  const positive = (field: string, value: number, allowZero: boolean): number => {
    if (
      Number.isNaN(value) ||
      value < 0 ||
      (!allowZero && value === 0) ||
      value === Number.NEGATIVE_INFINITY
    ) {
      throw new SchedulingError(`peer '${peerId}' advertises an invalid ${field}: ${value}`, field, peerId);
    }
    return value;
  };
  const resources: Record<string, number> = {};
  for (const [name, amount] of Object.entries(caps.resources ?? {})) {
    resources[name] = positive(`resources.${name}`, amount, true);
  }
  if (caps.platform !== 'node' && caps.platform !== 'browser') {
    throw new SchedulingError(
      `peer '${peerId}' advertises an unknown platform: ${String(caps.platform)}`,
      'platform',
      peerId,
    );
  }
  return {
    peerId,
    platform: caps.platform,
    cores: positive('cores', caps.cores, true),
    memoryMB: positive('memoryMB', caps.memoryMB, true),
    gpu: caps.gpu === true,
    tags: [...caps.tags],
    costRate: positive('costRate', caps.costRate, true),
    speed: positive('speed', caps.speed, false),
    resources,
    paused: caps.paused === true,
  };
}
