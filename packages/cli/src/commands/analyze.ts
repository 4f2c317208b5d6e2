/** `mixnet analyze TRACE…` and `mixnet simulate`: the anonymity lab (ANONYMITY.md) from the command line. */
import { resolve } from 'node:path';
import { type AnalyzeResult, analyzeTraces, simulate, TraceError } from '@mixnet/analyze';
import type { Command } from 'commander';
import { summarize, summarizeEpochs } from '../analyze-summary.js';
import { hint, nextBlock } from '../hints.js';
import { CliError, parseDuration, parseIntFlag, printJson, usageError, withSlowNotice } from '../output.js';

/** The `next:` hints after `simulate`: runnable as printed (hints.ts). */
export function simulateHints(out: string): string[] {
  return [hint(['analyze', out], 'what a global passive adversary learns'), hint(['analyze', out, '--timing'])];
}

export function registerAnalyze(program: Command): void {
  program
    .command('analyze <traces...>')
    .description('exact posterior of a global passive adversary over trace files or folders (ANONYMITY.md)')
    .option('--sample <r>', 'fraction of target messages analysed', '1')
    .option('--timing', 'also run the timing estimator (§2.4)')
    .option('--per-epoch', 'a run with a directory: H_out, degree and latency per epoch (its μ and active set)')
    .option('--settle <duration>', 'with epochs: the start of each epoch left out while clients switch μ', '0.5s')
    .option('--json', 'machine-readable output')
    .action(
      async (
        traces: string[],
        f: { sample: string; timing?: boolean; perEpoch?: boolean; settle: string; json?: boolean },
      ) => {
        const sample = Number(f.sample);
        if (!(sample > 0 && sample <= 1)) throw usageError(`--sample must be in (0, 1], got "${f.sample}"`);
        const settle = parseDuration(f.settle, '--settle') / 1000;
        let result: AnalyzeResult;
        try {
          result = await withSlowNotice(
            analyzeTraces(
              traces.map((t) => resolve(t)),
              { sample, timing: f.timing === true, settle },
            ),
            'analysing (a 10⁶-packet trace takes about 12 s)…',
          );
        } catch (err) {
          // a missing path keeps its code (main.ts prints "<path>: no such file or folder")
          if (err instanceof TraceError) throw new CliError(err.message);
          throw err;
        }
        if (f.perEpoch && !result.epochs)
          throw new CliError(
            'the trace has no epochs: --per-epoch needs a run with a directory (testnet up --trace DIR, then down)',
          );
        if (f.json) printJson(result);
        else if (f.perEpoch) process.stdout.write(`${summarizeEpochs(result.epochs ?? [])}\n`);
        else process.stdout.write(`${summarize(result)}\n`);
      },
    );

  program
    .command('simulate')
    .description('discrete-event simulation of the same network and traffic, written as traces')
    .option('--clients <c>', 'sending clients', '20')
    .option('--layers <l>', 'mix layers (1–4)', '3')
    .option('--width <w>', 'mixes per layer', '3')
    .option('--mu <duration>', 'mean per-hop delay', '15ms')
    .option('--cover <on|off>', 'cover traffic', 'on')
    .option('--seconds <t>', 'simulated seconds', '60')
    .option('--seed <n>', 'random seed', '1')
    .option('--out <dir>', 'trace folder (the default is git-ignored)', '.mixnet/sim')
    .option('--json', 'machine-readable output')
    .action((f: Record<string, string | boolean | undefined>) => {
      if (f.cover !== 'on' && f.cover !== 'off') throw usageError(`--cover must be on or off, got "${f.cover}"`);
      const seconds = Number(f.seconds);
      if (!(seconds > 0 && seconds <= 86_400))
        throw usageError(`--seconds must be from 0 to 86400, got "${f.seconds}"`);
      const out = resolve(f.out as string);
      const r = simulate({
        clients: parseIntFlag(f.clients as string, '--clients', { min: 1, max: 100_000 }),
        // A Sphinx route has at most 5 hops and the egress gateway is one of them (as `testnet up`).
        layers: parseIntFlag(f.layers as string, '--layers', { min: 1, max: 4 }),
        width: parseIntFlag(f.width as string, '--width', { min: 1, max: 1_000 }),
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
          `wrote ${r.lines} lines (${r.packets.total} packets: ${r.packets.real} real, ${r.packets.loop} loop, ${r.packets.drop} drop) to ${out}\n${nextBlock(simulateHints(f.out as string))}`,
        );
    });
}
