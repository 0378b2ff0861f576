/** CPU time of processes, read from /proc: the steadier figure on a shared machine, where wall time moves with load. */
import { readFileSync } from 'node:fs';

/** CPU time (user + system, all threads) a process has used so far, ms; undefined without /proc. */
export function cpuMs(pid: number | 'self'): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}
