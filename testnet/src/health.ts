/** Health and counters of a running testnet's processes, read over HTTP from their metrics ports. */
import { chainReady } from './chain.js';
import { containerRunning } from './docker-inspect.js';
import type { ProcessEntry } from './layout.js';
import { isOurs } from './process-runtime.js';

export type Health = 'up' | 'down' | 'starting';

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
  return (await probe(p)) ? 'up' : p.pid === undefined && p.container === undefined ? 'down' : 'starting';
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
