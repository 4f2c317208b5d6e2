/**
 * The process runtime: every process of the testnet is `node <cli> run <role> --config FILE`,
 * started detached (its own process group, so a Ctrl-C meant for the CLI does not reach it and
 * `--detach` leaves it running) with its output in its log file.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nodeFlagsFor } from '@mixnet/node';

/** The CLI entry point in this repository's layout (testnet/dist → packages/cli/dist). */
export const CLI_MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

export interface StartedProcess {
  pid: number;
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
    return { pid: child.pid };
  } finally {
    closeSync(log);
  }
}

export function startRole(role: string, configPath: string, logPath: string, entry = CLI_MAIN): StartedProcess {
  return spawnDetached(process.execPath, [...nodeFlagsFor(role), entry, 'run', role, '--config', configPath], logPath);
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM to the process group (graceful: nodes forward what they hold), SIGKILL after `graceMs`. */
export async function stopProcess(pid: number | undefined, graceMs = 8_000): Promise<void> {
  if (!pid || !isAlive(pid)) return;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await new Promise((r) => setTimeout(r, 20));
}
