/**
 * Bytes that crossed between peers in a run, derived from what the run knows: for each function that succeeded
 * on peer P, each input whose producer succeeded on another peer Q counts its result's size on the link Q → P.
 *
 * An estimate, said as such where it is shown: a consumer may have had the input in its cache, a result may
 * have come from another holder than its producer, and results of at most 16 KiB travel inline through the
 * coordinator rather than directly. The runtime measures the real figures per link (`peer:status` `links`) but
 * sends them to the coordinator only; once a submitter receives them, they replace this.
 */
import type { RunModel } from './run-model.js';

export interface LinkFlow {
  readonly from: string;
  readonly to: string;
  /** Inputs that crossed this link. */
  readonly inputs: number;
  /** Their encoded size, where known. */
  readonly bytes: number;
}

/**
 * `sizeOf(id)`: the encoded size of a function's result, when known. `peerOf(lane)`: the peer a lane belongs
 * to (the workers of one tab are one peer: nothing crosses a link between them). Default: each lane its own.
 */
export function linkFlows(
  model: RunModel,
  sizeOf: (id: string) => number | undefined,
  peerOf: (lane: string) => string = (lane) => lane,
): LinkFlow[] {
  const ranOn = new Map<string, string>();
  for (const f of model.functions) {
    const won = model.attemptsOf(f.id).find((a) => a.outcome === 'succeeded' && !a.cached);
    if (won && won.lane !== '') ranOn.set(f.id, peerOf(won.lane));
  }
  const flows = new Map<string, { from: string; to: string; inputs: number; bytes: number }>();
  for (const [id, to] of ranOn) {
    for (const producer of new Set(model.shape.producersOf.get(id) ?? [])) {
      const from = ranOn.get(producer);
      if (from === undefined || from === to) continue;
      const key = `${from}\u0000${to}`;
      const flow = flows.get(key) ?? flows.set(key, { from, to, inputs: 0, bytes: 0 }).get(key)!;
      flow.inputs++;
      flow.bytes += sizeOf(producer) ?? 0;
    }
  }
  return [...flows.values()].sort((a, b) => b.bytes - a.bytes || b.inputs - a.inputs);
}
