/** `mixnet analyze TRACE…` and `mixnet simulate`: the anonymity lab (ANONYMITY.md) from the command line. */
import { resolve } from 'node:path';
import { type AnalyzeResult, analyzeTraces, simulate } from '@mixnet/analyze';
import type { Command } from 'commander';
import { CliError, parseDuration, parseIntFlag, printJson, table } from '../output.js';

const f3 = (x: number | string) => (typeof x === 'number' ? (Number.isFinite(x) ? x.toFixed(3) : String(x)) : x);

export function summarize(r: AnalyzeResult): string {
  const rows = [
    {
      metric: 'H_out (bits), which exit is the target',
      mean: f3(r.hOut.mean),
      p10: f3(r.hOut.p10),
      p50: f3(r.hOut.p50),
      p90: f3(r.hOut.p90),
      n: r.hOut.n,
    },
    {
      metric: 'H_snd (bits), who sent a delivery',
      mean: f3(r.hSnd.mean),
      p10: f3(r.hSnd.p10),
      p50: f3(r.hSnd.p50),
      p90: f3(r.hSnd.p90),
      n: r.hSnd.n,
    },
    {
      metric: 'degree of anonymity d',
      mean: f3(r.degree.mean),
      p10: f3(r.degree.p10),
      p50: f3(r.degree.p50),
      p90: f3(r.degree.p90),
      n: r.degree.n,
    },
  ];
  const d = r.delays;
  return [
    table(rows),
    '',
    `ε p50 ${f3(r.epsilon.p50)}, p95 ${f3(r.epsilon.p95)}, mean of finite ${f3(r.epsilon.meanFinite)}; δ ${f3(r.delta)}; senders ${r.senders}`,
    `calibration gap: forward ${f3(r.calibration.out.gap)} ± ${f3(r.calibration.out.se)}, sender ${f3(r.calibration.snd.gap)} ± ${f3(r.calibration.snd.se)} (bits)`,
    `delays (${d.n} mix hops): fitted c ${f3(d.fittedC * 1000)} ms, m ${f3(d.fittedM * 1000)} ms against declared m ${f3(d.m * 1000)} ms; KS D ${f3(d.ks.d ?? Number.NaN)}, ${d.ks.accept ? 'exponential model accepted' : 'exponential model REJECTED'}`,
  ].join('\n');
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze <traces...>')
    .description('exact posterior of a global passive adversary over trace files or folders (ANONYMITY.md)')
    .option('--sample <r>', 'fraction of target messages analysed', '1')
    .option('--timing', 'also run the timing estimator (§2.4)')
    .option('--json', 'machine-readable output')
    .action(async (traces: string[], f: { sample: string; timing?: boolean; json?: boolean }) => {
      const sample = Number(f.sample);
      if (!(sample > 0 && sample <= 1)) throw new CliError(`--sample must be in (0, 1], got "${f.sample}"`, 2);
      let result: AnalyzeResult;
      try {
        result = await analyzeTraces(
          traces.map((t) => resolve(t)),
          { sample, timing: f.timing === true },
        );
      } catch (err) {
        throw new CliError((err as Error).message);
      }
      if (f.json) printJson(result);
      else process.stdout.write(`${summarize(result)}\n`);
    });

  program
    .command('simulate')
    .description('discrete-event simulation of the same network and traffic, written as traces')
    .option('--clients <c>', 'sending clients', '20')
    .option('--layers <l>', 'mix layers', '3')
    .option('--width <w>', 'mixes per layer', '3')
    .option('--mu <duration>', 'mean per-hop delay', '15ms')
    .option('--cover <on|off>', 'cover traffic', 'on')
    .option('--seconds <t>', 'simulated seconds', '60')
    .option('--seed <n>', 'random seed', '1')
    .option('--out <dir>', 'trace folder', '.mixnet/sim')
    .option('--json', 'machine-readable output')
    .action((f: Record<string, string | boolean | undefined>) => {
      if (f.cover !== 'on' && f.cover !== 'off') throw new CliError(`--cover must be on or off, got "${f.cover}"`, 2);
      const seconds = Number(f.seconds);
      if (!(seconds > 0)) throw new CliError(`--seconds must be positive, got "${f.seconds}"`, 2);
      const out = resolve(f.out as string);
      const r = simulate({
        clients: parseIntFlag(f.clients as string, '--clients'),
        layers: parseIntFlag(f.layers as string, '--layers'),
        width: parseIntFlag(f.width as string, '--width'),
        mu: parseDuration(f.mu as string, '--mu') / 1000,
        cover: f.cover === 'on',
        seconds,
        seed: parseIntFlag(f.seed as string, '--seed'),
        out,
      });
      const summary = { out, packets: r.packets, lines: r.lines };
      if (f.json) printJson(summary);
      else
        process.stdout.write(
          `wrote ${r.lines} lines (${r.packets.total} packets: ${r.packets.real} real, ${r.packets.loop} loop, ${r.packets.drop} drop) to ${out}\nnext: pnpm mixnet analyze ${out}\n`,
        );
    });
}
