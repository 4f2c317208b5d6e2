/**
 * Packing relays into node hosts (issue 16): past ~20 relays a testnet runs several mixes and
 * gateways per process (`mixnet run host`), sharing one event loop and one Sphinx worker pool,
 * so a 250-node network fits one laptop. Small testnets keep one node per process, so their kill,
 * stop and start act on exactly one node (the heal tests and chaos rely on that).
 */
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ProcessEntry } from './layout.js';

/** Relays above which `auto` packs them. */
export const PACK_ABOVE = 20;
/** Nodes per host under `auto` once packing. */
export const AUTO_NODES_PER_PROCESS = 40;

export type NodesPerProcess = number | 'auto';

/** How many relays one process runs for a network of `relays` relays. */
export function resolveNodesPerProcess(n: NodesPerProcess | undefined, relays: number): number {
  if (n === undefined || n === 'auto') return relays > PACK_ABOVE ? AUTO_NODES_PER_PROCESS : 1;
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new RangeError(`--nodes-per-process must be auto or an integer from 1 to 256, got ${n}`);
  return n;
}

export interface HostPlan {
  id: string;
  configPath: string;
  logPath: string;
  nodes: ProcessEntry[];
}

/**
 * Groups the relays (mixes and gateways) into hosts of at most `perProcess` nodes, spreading each
 * layer over the hosts (a host holds a slice of every layer, so losing one host loses no layer),
 * writes each host's file (`configs/host-K.json`) and marks each entry with its host and log.
 * With `perProcess` 1 it changes nothing and returns no hosts.
 */
export function packRelays(dir: string, relays: ProcessEntry[], perProcess: number, workers: number): HostPlan[] {
  if (perProcess <= 1 || relays.length <= 1) return [];
  const count = Math.ceil(relays.length / perProcess);
  const hosts: HostPlan[] = [];
  for (let k = 1; k <= count; k++)
    hosts.push({
      id: `host-${k}`,
      configPath: join(dir, 'configs', `host-${k}.json`),
      logPath: join(dir, 'logs', `host-${k}.log`),
      nodes: [],
    });
  relays.forEach((p, i) => {
    const h = hosts[i % count] as HostPlan;
    h.nodes.push(p);
    p.host = h.id;
    p.logPath = h.logPath;
  });
  for (const h of hosts) {
    const file = {
      workers,
      nodes: h.nodes.map((p) => relative(join(dir, 'configs'), p.configPath as string)),
    };
    writeFileSync(h.configPath, `${JSON.stringify(file, null, 2)}\n`);
  }
  return hosts;
}

/** The entries run by the same process as `p` (itself alone when it is not hosted). */
export function hostMates(all: ProcessEntry[], p: ProcessEntry): ProcessEntry[] {
  return p.host ? all.filter((x) => x.host === p.host) : [p];
}
