/** `mixnet bench`: what mixing costs, measured (suites in bench/, results as JSON, plots as SVG). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseSuites, runBench } from '@mixnet/bench';
import type { Command } from 'commander';
import { CliError } from '../output.js';

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'run benchmarks: sphinx, peers (Nym’s Rust crate), node, client, e2e, anonymity, heal, browser (Chromium), socks, scale, scaling (curves: docs/scaling-*.svg), or all',
    )
    .option(
      '--suite <suites>',
      'sphinx|peers|node|client|e2e|anonymity|heal|browser|socks|scale|scaling|all (all = every suite but anonymity, heal, browser, socks, scale and scaling), or a comma list',
      'sphinx',
    )
    .option('--quick', 'short runs (the CI perf gate)')
    .option('--json <file>', 'also write every entry to one JSON file')
    .option('--out <dir>', 'folder for <suite>.json and plots (default bench/results in the repo, else .mixnet/bench)')
    .action(async (f: { suite: string; quick?: boolean; json?: string; out?: string }) => {
      let suites: ReturnType<typeof parseSuites>;
      try {
        suites = parseSuites(f.suite);
      } catch (err) {
        throw new CliError((err as Error).message, 2);
      }
      const out = resolve(f.out ?? (existsSync('bench/results') ? 'bench/results' : '.mixnet/bench'));
      await runBench({ suites, quick: f.quick === true, out, ...(f.json ? { json: resolve(f.json) } : {}) });
    });
}
