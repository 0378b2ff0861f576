/**
 * Straggler duplication: a function far past its estimate (failures.ts `findStragglers`) gets a copy on an idle
 * peer chosen by its run's allocator; whichever copy finishes first wins and the other is cancelled (outcomes.ts).
 */
import type { TaskAssignment } from '../protocol/messages.js';
import type { ResourceTracker } from '../scheduling/types.js';
import type { PeerLoads } from './dispatcher.js';
import { findStragglers, type StragglerOptions } from './failures.js';
import type { Dispatcher } from './scheduler.js';

export interface StragglerDeps {
  readonly tracker: ResourceTracker;
  readonly loads: PeerLoads;
  readonly dispatcher: Dispatcher;
}

/** Looks for stragglers now and sends a copy of each to an idle peer, while there are idle peers. */
export function duplicateStragglers(deps: StragglerDeps, options: StragglerOptions): void {
  const now = Date.now();
  const speedOf = (peerId: string): number => deps.tracker.peer(peerId)?.speed ?? 1;
  const found = findStragglers(deps.dispatcher.inflight.values(), speedOf, now, options);
  const messages = new Map<string, Map<string, TaskAssignment[]>>();
  for (const d of found) {
    const idle = deps.loads.views((v, load) => load.count === 0 && !v.paused && v.peerId !== d.peer);
    if (idle.length === 0) break;
    const allocation = d.run.allocator.allocate({
      functions: [{ spec: d.run.specs[d.index]!, hash: d.run.hashes[d.index]! }],
      peers: idle,
    });
    const target = allocation.assignments[0]?.peerId;
    if (target === undefined) continue;
    const assignment = deps.dispatcher.dispatch(d.run, d.index, target, false, true);
    if (!assignment) continue;
    let perRun = messages.get(target);
    if (!perRun) {
      perRun = new Map();
      messages.set(target, perRun);
    }
    perRun.set(d.run.key, [...(perRun.get(d.run.key) ?? []), assignment]);
  }
  deps.dispatcher.send(messages);
}
