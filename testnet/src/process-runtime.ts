/**
 * The process runtime: every process of the testnet is `node <cli> run <role> --config FILE`,
 * started detached (its own process group, so a Ctrl-C meant for the CLI does not reach it and
 * `--detach` leaves it running) with its output in its log file.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeFlagsFor } from '@mixnet/node';
import { canTellProcessesApart, type ProcessStart, processStart, sameProcess } from './proc-start.js';

/** The CLI entry point in this repository's layout (testnet/dist → packages/cli/dist). */
export const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

export interface StartedProcess {
  pid: number;
  /** Recorded with the pid, so a later `down` can tell it from a process that reused the pid. */
  started?: ProcessStart;
}

/** A process as a state folder records it. */
export interface TrackedProcess {
  pid?: number;
  started?: ProcessStart;
}

export function spawnDetached(command: string, args: string[], logPath: string, cwd?: string): StartedProcess {
  const log = openSync(logPath, 'a');
  try {
    const child = spawn(command, args, {
      detached: true,
      stdio: ['ignore', log, log],
      ...(cwd ? { cwd } : {}),
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', FORCE_COLOR: '0' },
    });
    if (child.pid === undefined) throw new Error(`could not start ${command}`);
    child.unref();
    const started = processStart(child.pid);
    return { pid: child.pid, ...(started ? { started } : {}) };
  } finally {
    closeSync(log);
  }
}

export function startRole(role: string, configPath: string, logPath: string, entry = CLI_MAIN): StartedProcess {
  return spawnDetached(process.execPath, [...nodeFlagsFor(role), entry, 'run', role, '--config', configPath], logPath);
}

/** Whether a pid names any live process (ours or not): for a child the caller holds, not a state's pid. */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether a recorded process still runs as the one we started: same pid, start time and boot.
 * A pid without its start (or with another) is someone else's now, or unknown: not ours. Only
 * where /proc cannot tell processes apart does the pid alone decide.
 */
export function isOurs(p: TrackedProcess): boolean {
  if (!p.pid || !isAlive(p.pid)) return false;
  if (!canTellProcessesApart()) return true;
  return p.started !== undefined && sameProcess(p.pid, p.started);
}

/**
 * SIGTERM to the process group (graceful: nodes forward what they hold), SIGKILL after `graceMs`.
 * A recorded process (`{ pid, started }`, from a state) is signalled only while `isOurs`; a bare pid
 * only by a caller that holds that child itself.
 */
export async function stopProcess(target: number | TrackedProcess | undefined, graceMs = 8_000): Promise<void> {
  if (target === undefined) return;
  const pid = typeof target === 'number' ? target : target.pid;
  const alive = typeof target === 'number' ? () => isAlive(pid) : () => isOurs(target);
  if (!pid || !alive()) return;
  const signal = (sig: NodeJS.Signals) => signalGroup(pid, sig);
  signal('SIGTERM');
  // A paused process (`testnet pause`, SIGSTOP) handles SIGTERM only once it runs again.
  signal('SIGCONT');
  const deadline = Date.now() + graceMs;
  while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (alive()) signal('SIGKILL');
  while (alive()) await new Promise((r) => setTimeout(r, 20));
}

/** A signal to a process's group (what we start is a group leader), else to the process alone. */
export function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}
