/**
 * Preloaded into a benchmark's coordinator process (`node --import bench/heap-probe.mjs ...`) so that the
 * benchmark can read that process's heap, which /proc does not show: on SIGUSR2 it runs a full GC (twice: the
 * first pass runs finalizers whose targets the second frees) and writes `process.memoryUsage()` as JSON to
 * `$HANDOUT_HEAP_PROBE_DIR/<pid>.json`. Plain JavaScript so that it loads before tsx. Benchmarks only.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// `--expose-gc` is refused in NODE_OPTIONS and the CLI is spawned by the test harness: turn it on here instead.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');
const dir = process.env.HANDOUT_HEAP_PROBE_DIR;
if (dir) {
  process.on('SIGUSR2', () => {
    gc();
    gc();
    const file = `${dir}/${process.pid}.json`;
    // Written then renamed, so the reader never sees half a file.
    writeFileSync(`${file}.tmp`, JSON.stringify(process.memoryUsage()));
    renameSync(`${file}.tmp`, file);
  });
}
