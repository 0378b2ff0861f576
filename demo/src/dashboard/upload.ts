/**
 * An uploaded DAG file → Handout JSON, by content: Handout JSON (`"format": "handout-dag"`), WfCommons WfFormat
 * JSON (`workflow.specification` or `schemaVersion`), or STG text (first meaningful line a task count). Recognition is the
 * SDK's `parseDagText`, the same as the CLI's `handout run <file>`; imported tasks run synthetic CPU work
 * proportional to their recorded runtimes. `scale` multiplies each importer's default (STG: 1 ms per time unit;
 * WfFormat: 0.001 of the recorded seconds), so 1 means "the importer's default" for both formats.
 */
import type { DagJSON } from '@handout/peer-runtime';
import { parseDagText } from '@handout/sdk';

/** STG's default: 1 ms of CPU work per STG time unit. */
const STG_MS_PER_UNIT = 1;
/** WfFormat's default: a recorded 16 s task runs 16 ms. */
const WF_FRACTION = 0.001;

/** Throws an Error whose message says what is wrong with the file (the importers name the task at fault). */
export function parseDagFile(name: string, text: string, scale: number): DagJSON {
  return parseDagText(text, {
    name,
    stg: { scaleMs: STG_MS_PER_UNIT * scale },
    wfformat: { scale: WF_FRACTION * scale },
  }).dag.toJSON();
}
