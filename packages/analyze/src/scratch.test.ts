import { it } from 'vitest';
import { analyzeSources } from './analyze.js';
import { simulate } from './simulate.js';

it('smoke', async () => {
  for (const [mu, cover] of [
    [0, false],
    [0.015, false],
    [0.015, true],
    [0.05, false],
  ] as const) {
    const t0 = performance.now();
    const sim = simulate({ clients: 10, mu, seconds: 20, seed: 3, cover, rates: { real: 5 } });
    const t1 = performance.now();
    const r = await analyzeSources(sim.sources, { timing: true, forwardSample: 0.2 });
    const t2 = performance.now();
    console.log(mu, cover, sim.packets, sim.lines, (t1 - t0).toFixed(0), (t2 - t1).toFixed(0));
    console.log(
      JSON.stringify({
        hOut: r.hOut,
        hSnd: r.hSnd,
        cal: r.calibration,
        deg: r.degree,
        eps: r.epsilon,
        delta: r.delta,
        delays: r.delays,
        counts: r.counts,
        res: r.forward.residual,
        t: r.timing?.forward.hOut,
        tc: r.timing?.forward.calibration,
        ts: r.timing?.sender.flat?.hSnd,
        pis: Object.keys(r.senderByPi),
      }),
    );
  }
});
