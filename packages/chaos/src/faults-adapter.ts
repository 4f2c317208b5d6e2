/**
 * The faults a timeline applies, over the nodes' admin API (round-2 contract: PUT/DELETE
 * /admin/faults on the metrics port, loopback allowed) and process signals. One seam, so the
 * engine does not care whether a node runs as a process or a container.
 */

import { readState, type TestnetState } from '@mixnet/testnet';
import type { FaultRule } from './fault-rule.js';

export interface FaultControl {
  /** Replaces the node's whole rule set. */
  set(id: string, rules: readonly FaultRule[]): Promise<void>;
  clear(id: string): Promise<void>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
}

function entry(dir: string, id: string): TestnetState['processes'][number] {
  const p = readState(dir)?.processes.find((x) => x.id === id);
  if (!p) throw new Error(`no process "${id}" in ${dir}`);
  return p;
}

async function admin(url: string, method: 'PUT' | 'DELETE', body?: unknown): Promise<void> {
  const res = await fetch(`${url}/admin/faults`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(3_000),
  });
  if (!res.ok)
    throw new Error(`${method} ${url}/admin/faults answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
}

function signal(dir: string, id: string, sig: NodeJS.Signals): void {
  const p = entry(dir, id);
  if (p.container) throw new Error(`${id}: pause/resume of containers needs the testnet's pauseNode`);
  if (p.pid === undefined) throw new Error(`${id} has no pid`);
  try {
    process.kill(-p.pid, sig);
  } catch {
    process.kill(p.pid, sig);
  }
}

export function createFaultControl(dir: string): FaultControl {
  return {
    set: (id, rules) => admin(entry(dir, id).metricsUrl, 'PUT', { rules }),
    clear: (id) => admin(entry(dir, id).metricsUrl, 'DELETE'),
    pause: async (id) => signal(dir, id, 'SIGSTOP'),
    resume: async (id) => signal(dir, id, 'SIGCONT'),
  };
}
