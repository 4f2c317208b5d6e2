/**
 * Which process a recorded pid names (issue 14, #18). A pid is reused once its process is gone, so
 * after a crash or a reboot a state folder's pid may name anyone's process. Its start time (field 22
 * of /proc/<pid>/stat, clock ticks since boot) together with the boot id names one process only.
 */
import { existsSync, readFileSync } from 'node:fs';

/** Recorded when a process is started; compared before it is signalled. */
export interface ProcessStart {
  /** Field 22 of /proc/<pid>/stat (starttime), as text: it can exceed 2^53 on a long uptime. */
  startTicks: string;
  /** /proc/sys/kernel/random/boot_id: ticks restart at every boot. */
  bootId: string;
}

export class ProcStatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProcStatError';
  }
}

/**
 * Field 22 (starttime) of a /proc/<pid>/stat line. Field 2 (comm) is in parentheses and may hold
 * spaces and parentheses itself, so fields are counted after its last ')'.
 */
export function parseStartTicks(stat: string): string {
  const close = stat.lastIndexOf(')');
  if (close < 0) throw new ProcStatError('stat: no ")" closing field 2 (comm)');
  // After ") " come fields 3 (state) onwards: field 22 is the 20th.
  const ticks = stat
    .slice(close + 1)
    .trim()
    .split(/\s+/)[19];
  if (ticks === undefined || !/^\d+$/.test(ticks))
    throw new ProcStatError(`stat: field 22 (starttime) is ${ticks === undefined ? 'missing' : `"${ticks}"`}`);
  return ticks;
}

/** Whether this system has /proc to tell processes apart (Linux); elsewhere a pid is all we have. */
export function canTellProcessesApart(): boolean {
  return existsSync('/proc/self/stat') && existsSync('/proc/sys/kernel/random/boot_id');
}

/** The start of a live process, or undefined when it is gone or /proc is unavailable. */
export function processStart(pid: number): ProcessStart | undefined {
  try {
    return {
      startTicks: parseStartTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')),
      bootId: readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(),
    };
  } catch {
    return undefined;
  }
}

/** true only while `pid` is the very process recorded in `start` (same boot, same start time). */
export function sameProcess(pid: number, start: ProcessStart): boolean {
  const now = processStart(pid);
  return now !== undefined && now.bootId === start.bootId && now.startTicks === start.startTicks;
}
