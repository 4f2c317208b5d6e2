/** Resident memory and CPU time of processes from /proc (Linux), for the scale suite. */
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

export interface ProcUsage {
  /** Resident set size, bytes (threads included). */
  rssBytes: number;
  /** User + system CPU time since start, seconds (all threads). */
  cpuSeconds: number;
}

/** One process's usage, or undefined if it is gone. */
export function procUsage(pid: number): ProcUsage | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces), which ends at the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return { rssBytes: kb * 1024, cpuSeconds };
  } catch {
    return undefined;
  }
}

export interface GroupUsage {
  processes: number;
  rssBytes: number;
  /** Mean CPU over the window, in percent of one core. */
  cpuPercent: number;
}

/** Sum of RSS at the end, and CPU used over `windowMs`, of these processes. */
export async function sampleGroup(pids: number[], windowMs: number): Promise<GroupUsage> {
  const before = pids.map(procUsage);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, windowMs));
  const after = pids.map(procUsage);
  const seconds = (performance.now() - t0) / 1000;
  let cpu = 0;
  let rss = 0;
  let processes = 0;
  after.forEach((a, i) => {
    const b = before[i];
    if (!a || !b) return;
    processes++;
    rss += a.rssBytes;
    cpu += a.cpuSeconds - b.cpuSeconds;
  });
  return { processes, rssBytes: rss, cpuPercent: (100 * cpu) / seconds };
}
