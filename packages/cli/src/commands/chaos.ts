/**
 * `mixnet chaos run SCENARIO.yaml`: a network, traffic, a timeline of faults and expectations in
 * one file (packages/chaos); prints the verdict table, writes JSON and an SVG timeline with --out,
 * exits 1 when an expectation fails. `mixnet chaos check` only validates the file.
 */
import { resolve } from 'node:path';
import { loadScenario, runScenario, type Scenario, ScenarioError, stepTable, verdictTable } from '@mixnet/chaos';
import type { Command } from 'commander';
import { CliError, printJson, progress, usageError } from '../output.js';

/** A bad file is a usage error (exit 2): one line with file:line:col, the field and why. */
function load(file: string): Scenario {
  try {
    return loadScenario(file);
  } catch (err) {
    if (err instanceof ScenarioError) throw usageError(err.message);
    throw err;
  }
}

export function registerChaos(program: Command): void {
  const chaos = program
    .command('chaos')
    .description('fault scenarios: faults, traffic and expectations in one YAML file');
  chaos
    .command('check')
    .description('validate scenario files without starting anything')
    .argument('<scenario...>', 'scenario YAML files')
    .action((files: string[]) => {
      for (const f of files) process.stdout.write(`${f}: ok (${load(f).name})\n`);
    });
  chaos
    .command('run')
    .description(
      'run a scenario: start its network (or use the running one), inject its faults, judge its expectations',
    )
    .argument('<scenario>', 'scenario YAML file')
    .option('--state <dir>', "state folder: the running testnet (network: running), or where to start the scenario's")
    .option('--out <dir>', 'write <name>.json and <name>.svg (the timeline) here')
    .option('--json', 'print the report as JSON instead of the table')
    .action(async (file: string, f: { state?: string; out?: string; json?: boolean }) => {
      const scenario = load(file);
      // Ctrl-C: undo the faults and take the network down before exiting (a second one exits at once).
      const stop = new AbortController();
      process.once('SIGINT', () => {
        progress('interrupted: undoing faults…');
        stop.abort();
      });
      const report = await runScenario({
        signal: stop.signal,
        scenario,
        file,
        ...(f.state ? { stateDir: f.state } : {}),
        ...(f.out ? { outDir: resolve(f.out) } : {}),
        log: (line) => progress(line),
      });
      if (f.json) printJson(report);
      else {
        const delivered = report.messages.filter((m) => m.receivedAt !== undefined).length;
        process.stdout.write(
          [
            `scenario ${report.scenario}: ${report.pass ? 'PASS' : 'FAIL'} (${report.messages.length} messages, ${delivered} delivered; traffic ${Math.round(report.trafficMs / 1000)} s, wall ${Math.round(report.wallMs / 1000)} s)`,
            'timeline:',
            stepTable(report.steps) || '  (no faults)',
            '',
            `drops: ${
              Object.entries(report.drops)
                .map(
                  ([id, r]) =>
                    `${id} ${Object.entries(r)
                      .map(([k, v]) => `${k}=${v}`)
                      .join(' ')}`,
                )
                .join('; ') || 'none'
            }`,
            '',
            verdictTable(report.verdicts),
            ...(f.out
              ? [
                  '',
                  `report: ${resolve(f.out, `${report.scenario}.json`)}`,
                  `timeline: ${resolve(f.out, `${report.scenario}.svg`)}`,
                ]
              : []),
            '',
          ].join('\n'),
        );
      }
      if (!report.pass)
        throw new CliError(
          `scenario ${report.scenario}: ${report.verdicts.filter((v) => !v.pass).length} expectation(s) failed`,
        );
    });
}
