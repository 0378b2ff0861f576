/**
 * `connect({ fallback: 'local' })`: a submission whose coordinator is lost, with no other coordinate member
 * taking it over within `failoverWindowMs`, finishes on this machine instead of failing (issue 13). The
 * unfinished functions run on a local worker pool (`runLocal`); the inputs they need from functions that
 * finished on the mesh are fetched from the peers holding them (`run.result`), and a finished function whose
 * result no peer has any more runs here too, as its lineage says. Each function finished here gets one more
 * attempt in the run's records, on this peer, so the records show where the run ended.
 *
 * Opt-in: running submitted code on the submitting machine is a different trust decision from sending it to a
 * mesh (it runs sandboxed here, as on any peer, unless `trustCode` is passed to a local run).
 */
import {
  createMemoryStore,
  encodeValue,
  type FallbackContext,
  type FunctionSpec,
  hashFunctions,
  parseArgRef,
  runLocal,
  TaskError,
} from '@handout/peer-runtime';

/**
 * A stand-in for a function whose value is at hand: no inputs, so the local DAG stays closed; its value waits in
 * the local store under its hash. The id rides as an extra argument because hashes ignore ids: stand-ins that
 * differed only by id would share one hash, and so one value.
 */
function standIn(id: string): FunctionSpec {
  return {
    id,
    args: [],
    code: { kind: 'source', source: `() => { throw new Error('stand-in for a fetched result'); }` },
    extraArgs: [id],
  };
}

const producersOf = (f: FunctionSpec): string[] => [...new Set(f.args.map((a) => parseArgRef(a).producer))];

/** Finishes `context.run` on this machine (see the module header); `peerId` names this peer in the records. */
export async function finishLocally(context: FallbackContext, peerId: string): Promise<void> {
  const { run, functions } = context;
  const byId = new Map(functions.map((f) => [f.id, f]));
  const unfinished = run
    .records()
    .filter((r) => !run.isEnded(r.id))
    .map((r) => r.id);
  // What runs here: the unfinished functions, plus finished ones whose result no peer can give any more.
  const todo = new Set(unfinished);
  const values = new Map<string, unknown>();
  const queue = [...unfinished];
  while (queue.length > 0) {
    const f = byId.get(queue.pop()!)!;
    for (const p of producersOf(f)) {
      if (todo.has(p) || values.has(p)) continue;
      if (run.record(p).status === 'succeeded') {
        try {
          values.set(p, await run.result(p));
          continue;
        } catch {
          // No holder has it and no coordinator can recompute it: it runs here (below), from its own inputs.
        }
      }
      todo.add(p);
      queue.push(p);
    }
  }
  const local = [...[...todo].map((id) => byId.get(id)!), ...[...values.keys()].map(standIn)];
  const store = createMemoryStore();
  const hashes = hashFunctions(local);
  for (const [id, value] of values) await store.put(hashes.get(id)!, encodeValue(value));
  for (const id of unfinished) {
    const attempt = run.record(id).attempts + 1;
    run.markStarted(id, attempt, peerId);
  }
  const localRun = runLocal(local, { store, runId: `${run.id}-local` });
  const summary = await localRun.done;
  for (const id of unfinished) {
    const r = summary.functions.find((x) => x.id === id)!;
    if (r.status === 'succeeded') {
      run.markSucceeded(id, await localRun.result(id), { cached: false, peer: peerId });
    } else if (r.status === 'skipped') {
      run.markSkipped(id, r.skippedBecause ?? 'an input failed on this machine');
    } else {
      const attempt = run.record(id).attempts;
      run.markFailed(
        id,
        r.error ?? new TaskError(id, attempt, 'threw', `'${id}' did not finish on this machine`),
        true,
      );
    }
  }
}
