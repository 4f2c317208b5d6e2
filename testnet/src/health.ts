/** Health and counters of a running testnet's processes, read over HTTP from their metrics ports. */
import { readFileSync } from 'node:fs';
import { chainReady } from './chain.js';
import { containerPaused, containerRunning } from './docker-inspect.js';
import type { ProcessEntry } from './layout.js';
import { isOurs } from './process-runtime.js';

export type Health = 'up' | 'down' | 'starting' | 'paused';

/** Frozen by `testnet pause`: SIGSTOPped (state T in /proc/<pid>/stat), or a paused container. */
export function isPaused(p: ProcessEntry): boolean {
  if (p.container !== undefined) return containerPaused(p.container);
  if (p.pid === undefined) return false;
  try {
    const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: the state follows the last ')'.
    return stat.charAt(stat.lastIndexOf(')') + 2) === 'T';
  } catch {
    return false;
  }
}

export async function probe(p: ProcessEntry): Promise<boolean> {
  if (p.role === 'chain') return chainReady(p.metricsUrl);
  try {
    const res = await fetch(`${p.metricsUrl}/health`, { signal: AbortSignal.timeout(1_500) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function healthOf(p: ProcessEntry): Promise<Health> {
  if (p.pid !== undefined && !isOurs(p)) return 'down';
  if (p.container !== undefined && !containerRunning(p.container)) return 'down';
  if (await probe(p)) return 'up';
  if (p.pid === undefined && p.container === undefined) return 'down';
  return isPaused(p) ? 'paused' : 'starting';
}

export async function waitHealthy(p: ProcessEntry, timeoutMs: number, alive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive()) throw new Error(`${p.id} exited during start-up (see ${p.logPath})`);
    if (await probe(p)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${p.id} not healthy after ${timeoutMs} ms (see ${p.logPath})`);
}

/** A few Prometheus counters of a relay, summed over labels. */
export async function counters(p: ProcessEntry): Promise<Record<string, number>> {
  if (p.role === 'chain') return {};
  try {
    const res = await fetch(`${p.metricsUrl}/metrics`, { signal: AbortSignal.timeout(1_500) });
    const out: Record<string, number> = {};
    for (const line of (await res.text()).split('\n')) {
      const m = /^mixnet_([a-z_]+?)(?:_total)?(?:\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
      if (m) out[m[1] as string] = (out[m[1] as string] ?? 0) + Number(m[2]);
    }
    return out;
  } catch {
    return {};
  }
}
