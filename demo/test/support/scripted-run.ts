/** A run driven by hand: the run model only listens to events, so a scripted emitter is enough for its tests. */
import type { FunctionSpec, Run, RunEventName, RunEvents, RunSummary } from '@handout/peer-runtime';

export interface ScriptedRun {
  readonly run: Run;
  emit<E extends RunEventName>(event: E, payload: RunEvents[E]): void;
}

export function scriptedRun(): ScriptedRun {
  const listeners = new Map<string, Set<(payload: never) => void>>();
  const run: Run = {
    id: 'r',
    done: new Promise<RunSummary>(() => {}),
    result: async () => undefined,
    on(event, listener) {
      const set = listeners.get(event) ?? new Set();
      listeners.set(event, set);
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
    records: () => [],
    cancel() {},
  };
  return {
    run,
    emit(event, payload) {
      for (const l of listeners.get(event) ?? []) (l as (p: typeof payload) => void)(payload);
    },
  };
}

/** `n` independent functions named `prefix-0` … */
export function specs(ids: readonly string[], args: Readonly<Record<string, string[]>> = {}): FunctionSpec[] {
  return ids.map((id) => ({
    id,
    args: args[id] ?? [],
    code: { kind: 'source' as const, source: '() => 1' },
  }));
}
