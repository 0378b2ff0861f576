/**
 * What a final failure does to the rest of a run, the same in every engine: everything downstream of the failed
 * function that has not ended yet is skipped, naming the function that caused it.
 */
import { type DagGraph, forEachDownstream } from '../dag/graph.js';
import type { RunController } from './run-controller.js';

export function skipDownstream(
  graph: DagGraph,
  root: number,
  idOf: (i: number) => string,
  run: Pick<RunController, 'isEnded' | 'markSkipped'>,
): void {
  const because = idOf(root);
  forEachDownstream(graph, root, (d) => {
    const id = idOf(d);
    if (run.isEnded(id)) return false;
    run.markSkipped(id, because);
    return true;
  });
}
