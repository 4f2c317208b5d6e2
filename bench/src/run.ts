/**
 * `mixnet bench`: runs suites, prints a table per suite (progress on stderr), writes result JSON
 * (`{ name, unit, value, range?, extra? }`, github-action-benchmark's custom format) per suite, and
 * for e2e a latency CDF plot (SVG) per layer count.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runAnonymitySuite } from './anonymity-suite.js';
import { runBrowserSuite } from './browser-suite.js';
import { runClientSuite } from './client-suite.js';
import { type E2eRun, runE2eSuite } from './e2e-suite.js';
import { DEFAULT_THRESHOLDS, parseThresholds, resolveRule, type Thresholds } from './gate.js';
import { runHealSuite } from './heal-suite.js';
import { runNodeSuite } from './node-suite.js';
import { runPeersSuite } from './peers-suite.js';
import { cdfSvg } from './plot.js';
import {
  type BenchEntry,
  type BenchReport,
  formatTable,
  machineInfo,
  writeActionFiles,
  writeReport,
} from './results.js';
import { runScaleSuite } from './scale-suite.js';
import { runScalingSuite } from './scaling-suite.js';
import { runSocksSuite } from './socks-suite.js';
import { runSphinxSuite } from './sphinx-suite.js';

export const SUITES = [
  'sphinx',
  'peers',
  'node',
  'client',
  'e2e',
  'anonymity',
  'heal',
  'browser',
  'socks',
  'scale',
  'scaling',
] as const;
/**
 * What `--suite all` runs: the anonymity sweep, the heal experiment and socks are long, and the
 * browser suite needs Chromium (testnet/scripts/chromium-up.sh), scale starts up to 170 relays,
 * scaling runs a traced ramp and many testnets: they run on their own.
 */
export const ALL_SUITES = ['sphinx', 'peers', 'node', 'client', 'e2e'] as const;
export type SuiteName = (typeof SUITES)[number];

export interface BenchOptions {
  suites: SuiteName[];
  quick: boolean;
  /** Folder for <suite>.json and plots. */
  out: string;
  /** Also write every entry of the run, all suites, to this one file. */
  json?: string;
  timeMs?: number;
  rounds?: number;
  iterations?: number;
  packets?: number;
  log?: (line: string) => void;
}

/** The repo's bench/gate.json (its direction overrides), else the unit rules alone. */
function loadThresholds(): Thresholds {
  // bench/src/run.ts in tests, bench/dist/src/run.js when built
  for (const rel of ['../gate.json', '../../gate.json']) {
    const file = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(file)) return parseThresholds(JSON.parse(readFileSync(file, 'utf8')), file);
  }
  return DEFAULT_THRESHOLDS;
}

export function parseSuites(text: string): SuiteName[] {
  if (text === 'all') return [...ALL_SUITES];
  const out = text.split(',').map((s) => s.trim());
  for (const s of out)
    if (!(SUITES as readonly string[]).includes(s))
      throw new Error(`--suite must be ${SUITES.join(', ')} or all, got "${s}"`);
  return out as SuiteName[];
}

function print(report: BenchReport, out: string, log: (l: string) => void): void {
  console.log(`\n${report.suite} (${report.machine.cpu}, ${report.machine.cpus} cores, Node ${report.machine.node})`);
  console.log(
    formatTable(
      ['benchmark', report.statistic ?? 'value', 'unit', 'note'],
      report.entries.map((e) => [e.name, String(e.value), e.unit, e.extra ?? '']),
    ),
  );
  const path = join(out, `${report.suite}.json`);
  writeReport(path, report);
  log(`wrote ${path}`);
}

function plotE2e(runs: E2eRun[], out: string, log: (l: string) => void): void {
  mkdirSync(out, { recursive: true });
  for (const mu of [...new Set(runs.map((r) => r.mu))]) {
    const series = runs
      .filter((r) => r.mu === mu && !r.cover)
      .map((r) => ({ label: `${r.layers} layer${r.layers > 1 ? 's' : ''}`, values: r.latencies }));
    const file = join(out, `e2e-latency-cdf-mu${mu}.svg`);
    writeFileSync(file, cdfSvg(`End-to-end latency, μ = ${mu} ms per hop, cover off`, 'latency (ms)', series));
    log(`wrote ${file}`);
  }
}

export async function runBench(o: BenchOptions): Promise<BenchEntry[]> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const all: BenchEntry[] = [];
  for (const suite of o.suites) {
    let report: BenchReport;
    if (suite === 'sphinx') report = (await runSphinxSuite({ timeMs: o.timeMs ?? (o.quick ? 250 : 1000), log })).report;
    else if (suite === 'node')
      report = (await runNodeSuite({ packets: o.packets ?? (o.quick ? 5000 : 20000), log })).report;
    else if (suite === 'anonymity')
      report = (await runAnonymitySuite({ out: o.out, log, ...(o.quick ? { mus: [2, 30], seconds: 8 } : {}) })).report;
    else if (suite === 'heal')
      report = (await runHealSuite({ out: o.out, log, ...(o.quick ? { phaseMessages: 100 } : {}) })).report;
    else if (suite === 'browser')
      report = (await runBrowserSuite({ timeMs: o.timeMs ?? (o.quick ? 250 : 1000), log })).report;
    else if (suite === 'socks') report = (await runSocksSuite({ downloads: o.quick ? 1 : 3, log })).report;
    else if (suite === 'scale') {
      const { rows, report: r } = await runScaleSuite({
        sizes: o.quick ? [10, 50] : [10, 50, 170],
        ...(o.quick ? { settleMs: 5_000, windowMs: 10_000 } : {}),
        log,
      });
      console.log('\nscale: the whole network, chain aside');
      console.log(
        formatTable(
          [
            'relays',
            'processes',
            'ready (s)',
            'memory (MB)',
            'idle CPU (% of a core)',
            'directory / relays / requester',
          ],
          rows.map((x) => [
            String(x.relays),
            String(x.processes),
            String(x.readyS),
            String(x.rssMB),
            String(x.idleCpuPercent),
            `${x.idleCpuByPart.directory} / ${x.idleCpuByPart.relays} / ${x.idleCpuByPart.requester}`,
          ]),
        ),
      );
      report = r;
    } else if (suite === 'scaling') {
      mkdirSync(o.out, { recursive: true });
      const { result, report: r } = await runScalingSuite({ quick: o.quick, out: o.out, log });
      console.log('\nscaling: the ramp (one row per epoch)');
      console.log(
        formatTable(
          ['epoch', 'clients', 'offered/s', 'offered before', 'width', 'μ (ms)', 'H_out', 'p50 (ms)', 'p95 (ms)'],
          result.ramp.map((p) =>
            [p.epoch, p.clients, p.offeredPerSecond, p.offeredBefore, p.width, p.muMs, p.hOut, p.p50, p.p95].map(
              String,
            ),
          ),
        ),
      );
      report = r;
    } else if (suite === 'client') report = (await runClientSuite({ seconds: o.quick ? 8 : 20, log })).report;
    else if (suite === 'e2e') {
      const { runs, report: r } = await runE2eSuite({
        layers: o.quick ? [1, 3] : [1, 3, 4],
        messages: o.quick ? 100 : 200,
        burst: o.quick ? 300 : 1000,
        log,
      });
      report = r;
      plotE2e(runs, o.out, log);
    } else {
      const { rows, report: r } = await runPeersSuite({
        rounds: o.rounds ?? (o.quick ? 3 : 5),
        iterations: o.iterations ?? (o.quick ? 500 : 2000),
        log,
      });
      const nym = rows[2] as (typeof rows)[number];
      console.log('\nmedian µs of round medians');
      console.log(
        formatTable(
          ['implementation', 'create 4 hops', 'process 1 hop', 'create ÷ Nym', 'process ÷ Nym'],
          rows.map((row) => [
            row.impl,
            row.createUs.toFixed(1),
            row.processUs.toFixed(1),
            (row.createUs / nym.createUs).toFixed(2),
            (row.processUs / nym.processUs).toFixed(2),
          ]),
        ),
      );
      report = r;
    }
    print(report, o.out, log);
    all.push(
      ...report.entries.map((e) => ({ ...e, name: e.name.startsWith(`${suite}/`) ? e.name : `${suite}/${e.name}` })),
    );
  }
  if (o.json) {
    const thresholds = loadThresholds();
    const files = writeActionFiles(
      o.json,
      all,
      { suites: o.suites, date: new Date().toISOString(), machine: machineInfo() },
      (e) => resolveRule(e.name, e.unit, thresholds).direction,
    );
    log(`wrote ${files.all} (every entry), ${files.smaller} and ${files.bigger} (by direction), ${files.machine}`);
  }
  return all;
}
