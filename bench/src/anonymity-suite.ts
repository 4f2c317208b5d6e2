/**
 * `mixnet bench --suite anonymity` (issue #8): the delay–cover–anonymity trade-off measured on live
 * traced testnets. Sweeps μ × cover × layers × width, analyses every run with the exact posterior,
 * and plots entropy against measured end-to-end latency, one curve per cover setting.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExperimentResult, runExperiment } from '@mixnet/testnet';
import { xySvg } from './plot.js';
import { type BenchEntry, type BenchReport, machineInfo } from './results.js';

export interface AnonymitySuiteOptions {
  mus?: number[];
  covers?: boolean[];
  layers?: number[];
  widths?: number[];
  clients?: number;
  seconds?: number;
  out: string;
  log?: (line: string) => void;
}

export async function runAnonymitySuite(
  o: AnonymitySuiteOptions,
): Promise<{ runs: ExperimentResult[]; report: BenchReport }> {
  const runs: ExperimentResult[] = [];
  const entries: BenchEntry[] = [];
  for (const layers of o.layers ?? [3])
    for (const width of o.widths ?? [2])
      for (const cover of o.covers ?? [false, true])
        for (const mu of o.mus ?? [2, 10, 30]) {
          o.log?.(`anonymity: ${layers}×${width}, μ = ${mu} ms, cover ${cover ? 'on' : 'off'}…`);
          const r = await runExperiment({
            layers,
            width,
            mu,
            cover,
            clients: o.clients ?? 6,
            realRate: 4,
            seconds: o.seconds ?? 10,
            ...(o.log ? { log: o.log } : {}),
          });
          runs.push(r);
          const a = r.analysis;
          const tag = `anonymity/${layers}×${width} μ${mu} ${cover ? 'cover' : 'no-cover'}`;
          const ks = `KS D ${a.delays.ks.d.toFixed(3)} ${a.delays.ks.accept ? 'accepts' : 'rejects'} c + Exp(m)`;
          entries.push(
            { name: `${tag}: H_out`, unit: 'bits', value: round(a.hOut.mean), extra: `n ${a.hOut.n}` },
            { name: `${tag}: H_snd`, unit: 'bits', value: round(a.hSnd.mean), extra: `of log2 ${a.senders}` },
            { name: `${tag}: degree`, unit: 'ratio', value: round(a.degree.mean) },
            { name: `${tag}: latency p50`, unit: 'ms', value: round(r.latency.p50), extra: ks },
          );
        }
  mkdirSync(o.out, { recursive: true });
  for (const [metric, label] of [
    ['hOut', 'H_out (bits)'],
    ['degree', 'degree of anonymity'],
  ] as const) {
    const series = [false, true].map((cover) => ({
      label: cover ? 'cover on' : 'cover off',
      points: runs
        .filter((r) => r.options.cover === cover)
        .map((r) => [r.latency.p50, r.analysis[metric].mean] as const),
    }));
    const file = join(o.out, `anonymity-${metric}-vs-latency.svg`);
    writeFileSync(file, xySvg(`${label} against end-to-end latency`, 'latency p50 (ms)', label, series));
    o.log?.(`wrote ${file}`);
  }
  return {
    runs,
    report: {
      suite: 'anonymity',
      date: new Date().toISOString(),
      machine: machineInfo(),
      statistic: 'mean (H, d) / median (latency)',
      entries,
    },
  };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
