/**
 * Issue 8 on a live network: a traced 3-layer testnet, analysed with the exact posterior. The
 * delays are within a KS distance of 0.08 of c + Exp(μ), and the entropies grow with μ and cover.
 */
import { describe, expect, it } from 'vitest';
import { type ExperimentResult, runExperiment } from './experiment.js';

const base = { layers: 3, width: 2, clients: 6, realRate: 4, seconds: 10 };

describe('anonymity measured on a live traced testnet', () => {
  it('grows with μ and with cover; real delays fit c + Exp(μ)', { timeout: 300_000 }, async () => {
    const runs: ExperimentResult[] = [];
    for (const [mu, cover] of [
      [2, false],
      [30, false],
      [30, true],
    ] as const) {
      const r = await runExperiment({ ...base, mu, cover });
      const a = r.analysis;
      process.stderr.write(
        `μ ${mu} ms cover ${cover ? 'on ' : 'off'}: H_out ${a.hOut.mean.toFixed(2)} H_snd ${a.hSnd.mean.toFixed(2)} d ${a.degree.mean.toFixed(2)}, latency p50 ${r.latency.p50.toFixed(1)} ms, KS D ${a.delays.ks.d.toFixed(3)} p ${a.delays.ks.pValue.toFixed(3)}, fitted m ${(a.delays.fittedM * 1000).toFixed(2)} ms\n`,
      );
      expect(r.delivered).toBeGreaterThan(0.9 * r.sent);
      expect(a.hOut.n).toBeGreaterThan(50);
      runs.push(r);
    }
    const [fast, slow, covered] = runs as [ExperimentResult, ExperimentResult, ExperimentResult];
    for (const r of [slow, covered]) {
      // The fit is judged by its size (KS distance), not by a p-value: with 1,000–2,000 delays the
      // KS test at α 0.01 rejects a distance of 0.04, which a busy 2-core machine's late timers
      // (a few ms against μ 30 ms) produce on their own. Passing runs measured D 0.022–0.044; a
      // wrong shape is far off: a uniform delay of the same mean is at 0.15, a constant one at 0.63.
      expect(r.analysis.delays.ks.d).toBeLessThan(0.08);
      expect(r.analysis.delays.fittedM * 1000).toBeGreaterThan(30 * 0.85);
      expect(r.analysis.delays.fittedM * 1000).toBeLessThan(30 * 1.15);
    }
    expect(slow.analysis.hOut.mean).toBeGreaterThan(fast.analysis.hOut.mean + 0.5);
    expect(slow.analysis.hSnd.mean).toBeGreaterThan(fast.analysis.hSnd.mean);
    expect(covered.analysis.hOut.mean).toBeGreaterThan(slow.analysis.hOut.mean + 0.5);
    expect(covered.analysis.hSnd.mean).toBeGreaterThan(slow.analysis.hSnd.mean);
  });
});
