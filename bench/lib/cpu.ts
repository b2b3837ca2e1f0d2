import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time (user + system, ms) a process has used so far, from /proc; undefined where there is no
 * /proc. CPU per request is steadier than requests/s on a machine shared with other work.
 */
export function cpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // clock ticks of 10 ms
  } catch {
    return undefined;
  }
}

/**
 * CPU time (ms) of a process and its children, those still running and those it has reaped: for the
 * PostgreSQL postmaster, the whole server (backends, WAL writer, checkpointer). Undefined without /proc.
 */
export function treeCpuMs(pid: number): number | undefined {
  try {
    let total = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let fields: string[];
      try {
        fields = readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1].split(' ');
      } catch {
        continue; // exited meanwhile
      }
      // After the command: state, ppid, ... utime (11), stime (12), cutime (13), cstime (14), in 10 ms ticks.
      if (Number(entry) === pid) total += fields.slice(11, 15).reduce((sum, f) => sum + Number(f), 0) * 10;
      else if (Number(fields[1]) === pid) total += (Number(fields[11]) + Number(fields[12])) * 10;
    }
    return total;
  } catch {
    return undefined;
  }
}
