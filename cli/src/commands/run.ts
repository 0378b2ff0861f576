/** `handout run <file>`: the command's metadata; run-action.ts runs it. */
import type { CommandDef } from './types.js';

export const runCommand: CommandDef = {
  name: 'run',
  summary: 'run a DAG on this machine (or on a mesh with --signal) and print its results',
  synopsis:
    'handout run <file> [--concurrency N] [--json] [--quiet] [--progress auto|bar|lines|none] [--scale X] [--data-scale X] [--signal url --token t [--strategy s] [--verify k]]',
  description:
    'Loads the DAG file (a module, Handout JSON, WfFormat JSON or STG), validates it, and runs it on a pool of ' +
    'worker threads. Progress and what functions print (`[id] text`; `--quiet` hides it) go to stderr; the outcome goes to stdout: a summary with the results of the final ' +
    'functions (those nothing else depends on), or with `--json` one JSON document. Exits 0 when every function ' +
    'succeeded, 1 when one failed (naming it, its error and its attempts on stderr), 2 for an invalid DAG or bad ' +
    'input, 130 when interrupted by Ctrl-C (the run is cancelled first). With `--signal <url> --token <t>` the DAG ' +
    "runs on that mesh instead: on the mesh's coordinator when a member has the `coordinate` role, else on one " +
    'embedded in this process (the token must then grant `coordinate`), placed by `--strategy`; records name the ' +
    'peer that ran each function, and output and exit codes are the same. `--verify k` runs each function on k ' +
    'distinct peers and accepts a value only when a majority of their results agree.',
  load: () => import('./run-action.js'),
};
