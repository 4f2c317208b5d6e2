/**
 * `mixnet dashboard`: the live web page of a running testnet (its own or another shell's, any
 * runtime), from its state folder; and the start of the same page by `testnet up`.
 */
import { type Dashboard, startDashboard } from '@mixnet/dashboard';
import { readState, stateDir } from '@mixnet/testnet';
import type { Command } from 'commander';
import { CliError, parseIntFlag, parseNumberFlag, progress } from '../output.js';

/** The port `testnet up` tries first; a busy one falls back to any free port. */
export const DEFAULT_DASHBOARD_PORT = 7070;

export interface DashboardFlags {
  port?: string;
  host?: string;
  probeRate?: string;
}

export async function serveDashboard(
  dir: string,
  opts: { port?: number; host?: string; probeRateHz?: number; fallback?: boolean },
): Promise<Dashboard> {
  const base = {
    stateDir: dir,
    host: opts.host ?? '127.0.0.1',
    ...(opts.probeRateHz !== undefined ? { probeRateHz: opts.probeRateHz } : {}),
  };
  try {
    return await startDashboard({ ...base, port: opts.port ?? DEFAULT_DASHBOARD_PORT });
  } catch (err) {
    if (!opts.fallback || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
    return startDashboard({ ...base, port: 0 });
  }
}

export function parseDashboardFlags(f: DashboardFlags): { port?: number; host?: string; probeRateHz?: number } {
  return {
    ...(f.port !== undefined ? { port: parseIntFlag(f.port, '--port', { min: 0, max: 65_535 }) } : {}),
    ...(f.host !== undefined ? { host: f.host } : {}),
    ...(f.probeRate !== undefined
      ? { probeRateHz: parseNumberFlag(f.probeRate, '--probe-rate', { min: 0, max: 100 }) }
      : {}),
  };
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('serve the live web dashboard of a running testnet (topology, traffic, latency, anonymity, faults)')
    .option('--state <dir>', 'state folder (default .mixnet/testnet)')
    .option('--port <n>', `port (default ${DEFAULT_DASHBOARD_PORT}; 0 = any free port)`)
    .option('--host <address>', 'address to bind (default 127.0.0.1: the page can send devnet transactions)')
    .option('--probe-rate <hz>', "messages per second of the dashboard's own probe client (0 = none)", '2')
    .action(async (f: DashboardFlags & { state?: string }) => {
      const flags = parseDashboardFlags(f);
      const dir = stateDir(f.state);
      if (!readState(dir)) throw new CliError(`no testnet in ${dir} (start one with \`mixnet testnet up\`)`);
      const dashboard = await serveDashboard(dir, flags);
      process.stdout.write(`dashboard: ${dashboard.url}\n`);
      progress('serving; Ctrl-C stops it (the testnet keeps running)');
      const stop = async () => {
        await dashboard.close();
        process.exit(0);
      };
      process.on('SIGINT', () => void stop());
      process.on('SIGTERM', () => void stop());
      await new Promise(() => {});
    });
}
