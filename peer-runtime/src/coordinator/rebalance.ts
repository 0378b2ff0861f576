/**
 * Moving queued work to idle peers (work stealing, decided by the coordinator).
 *
 * Pipelining (dispatcher.ts) keeps a function or more queued behind each busy slot, so no slot waits a round
 * trip for its next assignment. The price shows at the end of a run, or of a wide layer: one peer still has a
 * queue while another has gone idle with nothing left to give it — 40 functions of 100 ms on two slots ended
 * 21 to 19, a whole function (5%) past the ideal makespan.
 *
 * So when the ready queue is empty and a peer has a free slot, a function queued (not yet started) behind
 * another peer's busy slots is copied to it, if it would otherwise wait there at least `minWaitMs`: the copy is a
 * duplicate (outcomes.ts), the first result wins and the other copy is cancelled — on its peer it was still
 * queued, so cancelling it costs nothing; had it started meanwhile, the two race and nothing is lost.
 *
 * What is queued is inferred from dispatch order: a peer runs its assignments first come, first served, so on a
 * peer with `cores` slots all but its oldest `cores` dispatches are waiting. How long one waits comes from the
 * expected durations of what is ahead of it: their declared `cost.estimateMs` over the peer's speed. Functions
 * without an estimate are not moved (see `expectedMs`).
 */
import type { PeerView } from '../scheduling/types.js';
import type { Outbox } from './dispatcher.js';
import type { Dispatch, PeerLoad } from './peer-loads.js';
import type { StragglerDeps } from './stragglers.js';

export interface RebalanceOptions {
  /** Move a queued function only when it would wait at least this long behind its peer's busy slots. Default 20 ms. */
  readonly minWaitMs?: number;
}

/** What a rebalance needs: the same as straggler copies. */
export type RebalanceDeps = StragglerDeps;

/**
 * Expected duration of `d` on its peer, ms, from its declared estimate; undefined without one. Measured means are
 * not used: a peer reports a batch's time on its first function and ~0 on the others, and the early ones carry
 * the workers' warm-up, so a run of 50 µs functions measured a few ms — enough to make a deep queue of quick
 * functions look worth moving (it was, in tests). Without an estimate, the straggler logic still copies a
 * function that sat far too long.
 */
function expectedMs(d: Dispatch, speed: number): number | undefined {
  const estimate = d.run.specs[d.index]!.cost?.estimateMs;
  return estimate === undefined ? undefined : estimate / Math.max(speed, 1e-6);
}

interface Candidate {
  readonly d: Dispatch;
  readonly waitMs: number;
  /** Its expected run time where it is queued, ms. */
  readonly runMs: number;
  /** The speed of the peer where it is queued. */
  readonly speed: number;
}

/** The queued dispatches of one peer with how long each would still wait there, longest wait first. */
function queuedOn(view: PeerView, load: PeerLoad, now: number): Candidate[] {
  const dispatches = [...load.dispatches];
  const slots = Math.max(1, Math.floor(view.cores));
  if (dispatches.length <= slots) return [];
  // Work left in the running ones, then in each queued one in turn, spread over the slots.
  let ahead = 0;
  for (let k = 0; k < slots; k++) {
    const d = dispatches[k]!;
    const e = expectedMs(d, view.speed);
    if (e === undefined) return [];
    // It started when it was dispatched or when a slot last freed, whichever came later (it may have queued).
    // One past its estimate counts as done: stragglers are the straggler logic's business.
    ahead += Math.max(0, e - (now - Math.max(d.at, load.lastFreedAt)));
  }
  const out: Candidate[] = [];
  for (let k = slots; k < dispatches.length; k++) {
    const d = dispatches[k]!;
    const e = expectedMs(d, view.speed);
    if (e === undefined) return out;
    out.push({ d, waitMs: ahead / slots, runMs: e, speed: view.speed });
    ahead += e;
  }
  return out.reverse();
}

/**
 * Copies queued functions to peers with a free slot, while there are such peers and functions worth moving.
 * Call it when the ready queue is empty (otherwise the free slot gets ready work instead).
 */
export function rebalanceQueued(deps: RebalanceDeps, options: RebalanceOptions = {}): void {
  const minWaitMs = options.minWaitMs ?? 20;
  let idle = deps.loads.views((v, load) => !v.paused && load.count < Math.floor(v.cores));
  if (idle.length === 0) return;
  const now = Date.now();
  const candidates: Candidate[] = [];
  for (const view of deps.loads.views((v, load) => load.count > Math.floor(v.cores))) {
    const load = deps.loads.get(view.peerId)!;
    for (const c of queuedOn(view, load, now)) {
      if (c.waitMs < minWaitMs) continue;
      const { d } = c;
      if (d.duplicate || d.run.finished || d.run.run.isCancelled) continue;
      if (deps.dispatcher.inflight.count(d.run, d.index) !== 1) continue;
      candidates.push(c);
    }
  }
  if (candidates.length === 0) return;
  candidates.sort((a, b) => b.waitMs - a.waitMs);
  const outbox: Outbox = new Map();
  for (const c of candidates) {
    if (idle.length === 0) break;
    const { d } = c;
    const target = deps.dispatcher.copy(
      d,
      idle.filter((v) => v.peerId !== d.peer),
      outbox,
      (peer) => {
        // Worth it only if it ends sooner there, by a margin: a slow idle peer may be worse than a short wait.
        const speed = idle.find((v) => v.peerId === peer)?.speed ?? 1;
        return (c.runMs * c.speed) / Math.max(speed, 1e-6) + minWaitMs <= c.waitMs + c.runMs;
      },
    );
    if (target !== undefined)
      idle = deps.loads.views((v, load) => !v.paused && load.count < Math.floor(v.cores));
  }
  deps.dispatcher.send(outbox);
}
