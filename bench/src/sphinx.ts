/**
 * `node bench/dist/sphinx.js [--time MS] [--json PATH] [--backend native|noble]`: runs the Sphinx
 * suite, prints a table and writes result JSON (default bench/results/sphinx.json).
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatTable, writeReport } from './results.js';
import { runSphinxSuite } from './sphinx-suite.js';

const { values } = parseArgs({
  options: {
    time: { type: 'string', default: '1000' },
    json: { type: 'string', default: fileURLToPath(new URL('../results/sphinx.json', import.meta.url)) },
    backend: { type: 'string', multiple: true },
  },
});
const timeMs = Number(values.time);
if (!Number.isFinite(timeMs) || timeMs <= 0)
  throw new Error(`--time must be a positive number of milliseconds, got "${values.time}"`);
const backends = (values.backend ?? ['native', 'noble']).map((b) => {
  if (b !== 'native' && b !== 'noble') throw new Error(`--backend must be native or noble, got "${b}"`);
  return b;
});

const { report } = await runSphinxSuite({ timeMs, backends, log: (l) => process.stderr.write(`${l}\n`) });
console.log(
  formatTable(
    ['benchmark', 'median', 'unit', 'note'],
    report.entries.map((e) => [e.name.replace(/^sphinx\//, ''), String(e.value), e.unit, e.extra ?? '']),
  ),
);
writeReport(values.json as string, report);
process.stderr.write(`\nwrote ${values.json}\n`);
