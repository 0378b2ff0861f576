import type { ArgRef, FunctionSpec } from '../../src/dag/types.js';
import type { Run, RunEventName, RunEvents } from '../../src/run/types.js';

/** A function spec from source text, with optional extras. */
export function fn(
  id: string,
  args: readonly ArgRef[],
  source: string,
  extra: Partial<Omit<FunctionSpec, 'id' | 'args' | 'code'>> = {},
): FunctionSpec {
  return { id, args, code: { kind: 'source', source }, ...extra };
}

export type LoggedEvent = { [E in RunEventName]: { event: E; payload: RunEvents[E] } }[RunEventName];

/** Record every event of a run, in the order emitted. Subscribe right after runLocal (before the run starts). */
export function logEvents(run: Run): LoggedEvent[] {
  const log: LoggedEvent[] = [];
  const names: RunEventName[] = [
    'task:queued',
    'task:started',
    'task:succeeded',
    'task:failed',
    'task:retried',
    'task:skipped',
    'run:done',
  ];
  for (const event of names) run.on(event, (payload) => log.push({ event, payload } as LoggedEvent));
  return log;
}

/**
 * A function that fails (by `mode`) on its first attempt and returns `value` after: the state across attempts is a
 * marker file whose path comes in as the last extra argument.
 */
export function failsOnceSource(mode: 'throw' | 'exit'): string {
  const failure = mode === 'throw' ? 'throw new Error("first attempt fails")' : 'globalThis.process.exit(1)';
  // `process` is Node-only, so the DAG validator rejects it as a free variable; through globalThis it is a lookup.
  return `(value, marker) => {
    const fs = globalThis.process.getBuiltinModule('node:fs');
    if (!fs.existsSync(marker)) { fs.writeFileSync(marker, 'seen'); ${failure}; }
    return value;
  }`;
}
