/**
 * Timing of the analyzer on a large simulated trace (not a unit test). Writes a trace folder once (kept
 * for reruns), then times `analyzeTraces` on it, parsing included.
 *
 *   npx tsc -p packages/analyze/scripts/tsconfig.json && \
 *     node /tmp/analyze-perf-build/scripts/perf.js [--packets 1000000] [--dir /tmp/analyze-perf-trace]
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeTraces, simulate } from '../src/index.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}

const packets = Number(arg('packets', '1000000'));
const dir = arg('dir', `/tmp/analyze-perf-trace-${packets}`);
const clients = Number(arg('clients', '20'));
const forwardSample = Number(arg('forward-sample', '0.0001'));
const timing = process.argv.includes('--timing');
// cover on, buffered: per client 50/s payload + 5/s loops → 55 packets/s per client
const perClient = 55;
const seconds = Math.ceil(packets / (clients * perClient));

if (!existsSync(join(dir, 'meta.jsonl'))) {
  const t0 = performance.now();
  const sim = simulate({ clients, mu: 0.015, seconds, seed: 42, cover: true, rates: { real: 10 }, out: dir });
  console.log(
    `simulated ${sim.packets.total} packets, ${sim.lines} lines in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
const bytes = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
const t1 = performance.now();
const r = await analyzeTraces([dir], { forwardSample, timing });
const secs = (performance.now() - t1) / 1000;
console.log(
  JSON.stringify(
    {
      trace: { dir, bytes, lines: r.counts.lines, packets: r.counts.emissions },
      seconds: Number(secs.toFixed(2)),
      usPerLine: Number(((secs * 1e6) / r.counts.lines).toFixed(2)),
      memory: {
        maxLiveWires: r.counts.maxLiveWires,
        maxBacklog: r.counts.maxBacklog,
        rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
      },
      hOut: r.hOut,
      hSnd: r.hSnd,
      calibration: r.calibration,
      targets: r.targets,
    },
    null,
    1,
  ),
);
