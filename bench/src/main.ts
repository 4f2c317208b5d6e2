/**
 * `node bench/dist/src/main.js [--suite sphinx|peers|node|client|e2e|anonymity|heal|browser|socks|scale|scaling|all] [--quick] [--json FILE]
 * [--time MS] [--rounds N] [--iterations N] [--packets N] [--out DIR]` (also `mixnet bench`).
 * `--quick` shortens every suite (the perf gate's runs); explicit flags still win.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseSuites, runBench } from './run.js';

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'sphinx' },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    time: { type: 'string' },
    rounds: { type: 'string' },
    iterations: { type: 'string' },
    packets: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('../../results/', import.meta.url)) },
  },
});

function positive(flag: string, given: string | undefined): number | undefined {
  if (given === undefined) return undefined;
  const n = Number(given);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${flag} must be a positive number, got "${given}"`);
  return n;
}

try {
  const time = positive('time', values.time);
  const rounds = positive('rounds', values.rounds);
  const iterations = positive('iterations', values.iterations);
  const packets = positive('packets', values.packets);
  await runBench({
    suites: parseSuites(values.suite as string),
    quick: values.quick === true,
    out: values.out as string,
    ...(values.json ? { json: values.json } : {}),
    ...(time ? { timeMs: time } : {}),
    ...(rounds ? { rounds } : {}),
    ...(iterations ? { iterations } : {}),
    ...(packets ? { packets } : {}),
  });
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exit(1);
}
