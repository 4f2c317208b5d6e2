/**
 * The bench runner until `mixnet bench` exists: `node bench/dist/src/main.js [--suite sphinx|peers|node|all]
 * [--quick] [--time MS] [--rounds N] [--iterations N] [--packets N] [--out DIR]`. Prints a table per suite and
 * writes result JSON (`{ name, unit, value }` entries) to DIR/<suite>.json, default bench/results/.
 * `--quick` (the perf gate's runs) shortens the defaults: 250 ms per sphinx task, 3 peers rounds of
 * 500 iterations, 5000 node packets; explicit flags still win.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runNodeSuite } from './node-suite.js';
import { runPeersSuite } from './peers-suite.js';
import { type BenchReport, formatTable, writeReport } from './results.js';
import { runSphinxSuite } from './sphinx-suite.js';

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'sphinx' },
    quick: { type: 'boolean', default: false },
    time: { type: 'string' },
    rounds: { type: 'string' },
    iterations: { type: 'string' },
    packets: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('../../results/', import.meta.url)) },
  },
});

const quick = values.quick === true;
const defaults: Record<string, string> = quick
  ? { time: '250', rounds: '3', iterations: '500', packets: '5000' }
  : { time: '1000', rounds: '5', iterations: '2000', packets: '20000' };

function positive(flag: string, given: string | undefined): number {
  const value = given ?? defaults[flag];
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number, got "${value}"`);
  return n;
}

const suites = values.suite === 'all' ? ['sphinx', 'peers', 'node'] : [values.suite as string];
for (const s of suites)
  if (!['sphinx', 'peers', 'node'].includes(s))
    throw new Error(`--suite must be sphinx, peers, node or all, got "${s}"`);
const log = (line: string) => process.stderr.write(`${line}\n`);

function print(report: BenchReport): void {
  console.log(`\n${report.suite} (${report.machine.cpu}, ${report.machine.cpus} cores, Node ${report.machine.node})`);
  console.log(
    formatTable(
      ['benchmark', 'value', 'unit', 'note'],
      report.entries.map((e) => [e.name, String(e.value), e.unit, e.extra ?? '']),
    ),
  );
  const path = join(values.out as string, `${report.suite}.json`);
  writeReport(path, report);
  log(`wrote ${path}`);
}

for (const suite of suites) {
  if (suite === 'sphinx') {
    print((await runSphinxSuite({ timeMs: positive('time', values.time), log })).report);
  } else if (suite === 'node') {
    print((await runNodeSuite({ packets: positive('packets', values.packets), log })).report);
  } else {
    const { rows, report } = await runPeersSuite({
      rounds: positive('rounds', values.rounds),
      iterations: positive('iterations', values.iterations),
      log,
    });
    const nym = rows[2] as (typeof rows)[number];
    console.log('\nmedian µs of round medians');
    console.log(
      formatTable(
        ['implementation', 'create 4 hops', 'process 1 hop', 'create ÷ Nym', 'process ÷ Nym'],
        rows.map((r) => [
          r.impl,
          r.createUs.toFixed(1),
          r.processUs.toFixed(1),
          (r.createUs / nym.createUs).toFixed(2),
          (r.processUs / nym.processUs).toFixed(2),
        ]),
      ),
    );
    print(report);
  }
}
