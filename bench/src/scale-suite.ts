/**
 * `mixnet bench --suite scale` (issue 16): how a whole process testnet's memory, start-up and idle
 * CPU grow with its number of relays (10, 50, 170: the last is Nym's 3 × 40 active + 40 standby
 * + 10 gateways). Each size is `testnet up` with the chain aside (`--chain none`) and default
 * packing (node hosts above 20 relays). Memory is the sum of RSS of every process of the network
 * (directory, hosts or relays, network requester); idle CPU is over a window after a settle, with
 * no client traffic but the network's own (the directory's monitor probes, the requester's cover).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downTestnet, type NodesPerProcess, type TestnetState, upTestnet } from '@mixnet/testnet';
import { sampleGroup } from './proc-usage.js';
import type { BenchEntry, BenchReport } from './results.js';
import { machineInfo } from './results.js';

export interface ScalePlan {
  relays: number;
  layers: number;
  activePerLayer: number;
  standby: number;
  gateways: number;
}

/** The plans of the suite by relay count (10, 50 and Nym's 170). */
export const SCALE_PLANS: Record<number, ScalePlan> = {
  10: { relays: 10, layers: 3, activePerLayer: 2, standby: 2, gateways: 2 },
  50: { relays: 50, layers: 3, activePerLayer: 12, standby: 6, gateways: 8 },
  170: { relays: 170, layers: 3, activePerLayer: 40, standby: 40, gateways: 10 },
};

export interface ScaleSuiteOptions {
  sizes?: number[];
  nodesPerProcess?: NodesPerProcess;
  /** Wait after ready before sampling idle CPU. */
  settleMs?: number;
  /** Idle CPU window. */
  windowMs?: number;
  log?: (line: string) => void;
}

export interface ScaleRow {
  relays: number;
  processes: number;
  readyS: number;
  rssMB: number;
  idleCpuPercent: number;
  /** The same idle CPU by part: the directory, the relays (hosts), the network requester. */
  idleCpuByPart: { directory: number; relays: number; requester: number };
}

const pidsOf = (state: TestnetState, roles?: readonly string[]) => [
  ...new Set(
    state.processes
      .filter((p) => !roles || roles.includes(p.role))
      .map((p) => p.pid)
      .filter((p): p is number => p !== undefined),
  ),
];
const round1 = (x: number) => Math.round(x * 10) / 10;

export async function runScaleSuite(o: ScaleSuiteOptions = {}): Promise<{ rows: ScaleRow[]; report: BenchReport }> {
  const log = o.log ?? (() => {});
  const rows: ScaleRow[] = [];
  const failed: number[] = [];
  for (const size of o.sizes ?? [10, 50, 170]) {
    const plan = SCALE_PLANS[size];
    if (!plan) throw new Error(`scale: no plan for ${size} relays (have ${Object.keys(SCALE_PLANS).join(', ')})`);
    const dir = mkdtempSync(join(tmpdir(), `mixnet-scale-${size}-`));
    log(
      `scale: ${size} relays (${plan.layers} × ${plan.activePerLayer} + ${plan.standby} standby + ${plan.gateways} gateways)`,
    );
    try {
      const state = await upTestnet({
        dir,
        layers: plan.layers,
        nodesPerLayer: plan.activePerLayer,
        standby: plan.standby,
        gateways: plan.gateways,
        chain: 'none',
        logLevel: 'warn',
        timeoutMs: 60_000,
        ...(o.nodesPerProcess !== undefined ? { nodesPerProcess: o.nodesPerProcess } : {}),
      });
      await new Promise((r) => setTimeout(r, o.settleMs ?? 10_000));
      const windowMs = o.windowMs ?? 20_000;
      const [usage, directory, relays, requester] = await Promise.all([
        sampleGroup(pidsOf(state), windowMs),
        sampleGroup(pidsOf(state, ['directory']), windowMs),
        sampleGroup(pidsOf(state, ['mix', 'gateway']), windowMs),
        sampleGroup(pidsOf(state, ['network-requester', 'service-provider']), windowMs),
      ]);
      const row: ScaleRow = {
        relays: size,
        processes: usage.processes,
        readyS: Math.round((state.readyMs ?? 0) / 100) / 10,
        rssMB: Math.round(usage.rssBytes / 2 ** 20),
        idleCpuPercent: round1(usage.cpuPercent),
        idleCpuByPart: {
          directory: round1(directory.cpuPercent),
          relays: round1(relays.cpuPercent),
          requester: round1(requester.cpuPercent),
        },
      };
      log(`scale: ${JSON.stringify(row)}`);
      rows.push(row);
    } catch (err) {
      // One size that does not come up (a busy machine) leaves the others' figures standing.
      log(`scale: ${size} relays did not come up: ${(err as Error).message.split('\n')[0]}`);
      failed.push(size);
    } finally {
      await downTestnet(dir).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const entries: BenchEntry[] = rows.flatMap((r) => [
    {
      name: `${r.relays}-relays/memory`,
      unit: 'MB',
      value: r.rssMB,
      extra: `sum of RSS over ${r.processes} processes`,
    },
    {
      name: `${r.relays}-relays/ready`,
      unit: 's',
      value: r.readyS,
      extra: 'testnet up until the smoke message is back',
    },
    {
      name: `${r.relays}-relays/idle-cpu`,
      unit: '% of one core',
      value: r.idleCpuPercent,
      extra: `no client traffic: directory ${r.idleCpuByPart.directory}, relays ${r.idleCpuByPart.relays}, requester ${r.idleCpuByPart.requester}`,
    },
  ]);
  if (rows.length === 0) throw new Error(`scale: no size came up (${failed.join(', ')} relays)`);
  return { rows, report: { suite: 'scale', date: new Date().toISOString(), machine: machineInfo(), entries } };
}
