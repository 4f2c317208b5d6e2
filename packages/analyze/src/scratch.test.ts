import { it } from 'vitest';
import { analyzeSources } from './analyze.js';
import { simulate } from './simulate.js';

it('explore', async () => {
  for (const [mu, fs] of [
    [0.05, 0.02],
    [0.05, 0.2],
    [0.015, 0.05],
  ] as const) {
    const out: string[] = [];
    for (const seed of [11, 12, 13, 14]) {
      const sim = simulate({ clients: 20, mu, seconds: 150, rates: { real: 5 }, seed });
      const r = await analyzeSources(sim.sources, { forwardSample: fs });
      out.push(`${r.calibration.out.gap.toFixed(3)}±${r.calibration.out.se.toFixed(3)}(n=${r.calibration.out.n})`);
    }
    console.log('mu', mu, 'fs', fs, out.join(' '));
  }
}, 600000);
