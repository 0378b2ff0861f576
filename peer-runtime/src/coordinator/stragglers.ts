/**
 * Straggler duplication: a function far past its estimate (failures.ts `findStragglers`) gets a copy on an idle
 * peer chosen by its run's allocator; whichever copy finishes first wins and the other is cancelled (outcomes.ts).
 */
import type { ResourceTracker } from '../scheduling/types.js';
import type { Dispatcher, Outbox } from './dispatcher.js';
import { findStragglers, type StragglerOptions } from './failures.js';
import type { PeerLoads } from './peer-loads.js';

export interface StragglerDeps {
  readonly tracker: ResourceTracker;
  readonly loads: PeerLoads;
  readonly dispatcher: Dispatcher;
}

/** Looks for stragglers now and sends a copy of each to an idle peer, while there are idle peers. */
export function duplicateStragglers(deps: StragglerDeps, options: StragglerOptions): void {
  const now = Date.now();
  const speedOf = (peerId: string): number => deps.tracker.peer(peerId)?.speed ?? 1;
  const found = findStragglers(deps.dispatcher.inflight.functions(), speedOf, now, options);
  const outbox: Outbox = new Map();
  for (const d of found) {
    const idle = deps.loads.views((v, load) => load.count === 0 && !v.paused && v.peerId !== d.peer);
    if (idle.length === 0) break;
    deps.dispatcher.copy(d, idle, outbox);
  }
  deps.dispatcher.send(outbox);
}
