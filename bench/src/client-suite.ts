/**
 * The client's idle cost (issue #5): a client with cover traffic at the default rates (a packet per
 * 20 ms, a loop per 200 ms) against a process-runtime testnet, its CPU share measured in its own
 * process so nothing else is counted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clientNetwork, downTestnet, measureIdleClient, upTestnet } from '@mixnet/testnet';
import { type BenchReport, machineInfo } from './results.js';

export interface ClientSuiteOptions {
  seconds?: number;
  log?: (line: string) => void;
}

export async function runClientSuite(opts: ClientSuiteOptions = {}): Promise<{ report: BenchReport }> {
  const seconds = opts.seconds ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'mixnet-bench-client-'));
  opts.log?.(`client: idle with cover for ${seconds} s…`);
  const state = await upTestnet({ dir, layers: 3, chain: 'none', logLevel: 'warn', skipSmoke: true });
  try {
    const r = await measureIdleClient({ network: clientNetwork(state), seconds });
    return {
      report: {
        suite: 'client',
        date: new Date().toISOString(),
        machine: machineInfo(),
        statistic: 'over the run',
        entries: [
          { name: 'client idle with cover: CPU', unit: '% of a core', value: round(r.cpu * 100), extra: 'target < 5%' },
          { name: 'client idle with cover: packets', unit: 'packets/s', value: round(r.packetsPerSecond) },
          { name: 'client idle with cover: CPU per cover packet', unit: 'µs', value: round(r.perPacketUs) },
        ],
      },
    };
  } finally {
    await downTestnet(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

const round = (x: number) => Math.round(x * 100) / 100;
