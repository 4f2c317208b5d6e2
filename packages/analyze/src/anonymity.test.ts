/**
 * ANONYMITY.md §4 and §6.4 on simulated traces: m = 0 gives H = 0; N = 1 gives H_snd = 0; a single Poisson
 * mix gives H_out ≈ log2(e·λ·m); the exact posterior is calibrated with cover off; H rises with m and with
 * the cover rate; plus the delay check, the timing estimator, gap-weighted π and the watermark.
 */
import { describe, expect, it } from 'vitest';
import { type AnalyzeOptions, analyzeSources } from './analyze.js';
import { type SimulateOptions, simulate } from './simulate.js';

const analyze = (sim: SimulateOptions, opts: AnalyzeOptions = {}) =>
  analyzeSources(simulate(sim).sources, { forwardSample: 0.1, ...opts });

describe('§4: no mixing gives no anonymity', () => {
  it('m = 0: H_out = H_snd = 0 with cover off and on (the mix is FIFO)', async () => {
    for (const cover of [false, true]) {
      const r = await analyze({ clients: 10, mu: 0, seconds: 6, cover, rates: { real: 4, payload: 25 }, seed: 1 });
      expect(r.hOut.n).toBeGreaterThan(5);
      expect(r.hSnd.n).toBeGreaterThan(50);
      expect(r.hOut.mean).toBe(0);
      expect(r.hSnd.mean).toBe(0);
      expect(r.degree.mean).toBe(0);
      expect(r.delta).toBe(1);
      expect(r.counts.infeasible).toBe(0);
      expect(r.delays.ks.accept).toBe(true);
    }
  });

  it('N = 1 gives H_snd = 0 and d = 0, while H_out > 0 once m > 0', async () => {
    const one = await analyze({ clients: 1, mu: 0.05, seconds: 30, rates: { real: 5 }, seed: 2 }, { forwardSample: 1 });
    expect(one.senders).toBe(1);
    expect(one.hSnd.n).toBeGreaterThan(50);
    expect(one.hSnd.mean).toBe(0);
    expect(one.degree.mean).toBe(0);
    expect(one.hOut.mean).toBeGreaterThan(0.1);
    const two = await analyze({ clients: 2, mu: 0.05, seconds: 10, rates: { real: 5 }, seed: 2 });
    expect(two.hSnd.mean).toBe(0);
    expect(two.hOut.mean).toBeGreaterThan(0.3);
  });
});

describe('§4: a single Poisson mix', () => {
  it('H_out is within 0.3 bits of log2(e·λ·m) for λm = 5 and 20', async () => {
    for (const lm of [5, 20]) {
      // 10 clients × 20/s = λ of 200/s into the one mix
      const r = await analyze({
        clients: 10,
        layers: 1,
        width: 1,
        mu: lm / 200,
        seconds: 25,
        rates: { real: 20 },
        seed: 5,
      });
      expect(r.hOut.n).toBeGreaterThan(300);
      expect(Math.abs(r.hOut.mean - Math.log2(Math.E * lm))).toBeLessThan(0.3);
    }
  });
});

describe('§3 calibration with cover off (the model is exact)', () => {
  it('forward and sender gaps are within 3 standard errors of 0', async () => {
    const r = await analyze(
      { clients: 20, mu: 0.015, seconds: 40, rates: { real: 5 }, seed: 3 },
      { forwardSample: 0.05 },
    );
    for (const cal of [r.calibration.out, r.calibration.snd]) {
      expect(cal.n).toBeGreaterThan(150);
      expect(cal.infinite).toBe(0);
      expect(Math.abs(cal.gap)).toBeLessThan(3 * cal.se);
    }
    expect(r.forward.residual.max).toBeLessThan(1e-6);
    // §4 saturation bound: H_snd ≤ log2 N
    expect(r.hSnd.p90).toBeLessThanOrEqual(Math.log2(19) + 1e-9);
  });
});

describe('§4: anonymity rises with m and with the cover rate', () => {
  it('H_out, H_snd and d grow with m', async () => {
    const rs = [];
    for (const mu of [0.005, 0.015, 0.05])
      rs.push(await analyze({ clients: 20, mu, seconds: 12, rates: { real: 5 }, seed: 2 }));
    for (let i = 1; i < rs.length; i++) {
      const [a, b] = [rs[i - 1], rs[i]] as [(typeof rs)[0], (typeof rs)[0]];
      expect(b.hOut.mean).toBeGreaterThan(a.hOut.mean);
      expect(b.hSnd.mean).toBeGreaterThan(a.hSnd.mean);
      expect(b.degree.mean).toBeGreaterThan(a.degree.mean);
    }
  });

  it('H_out, H_snd and d grow with the payload (cover) rate, δ falls', async () => {
    const rs = [];
    for (const payload of [0, 10, 50, 100]) {
      rs.push(
        await analyze(
          { clients: 5, mu: 0.015, seconds: 12, cover: payload > 0, rates: { real: 2, payload }, seed: 2 },
          { forwardSample: 0.5, pi: 'flat' },
        ),
      );
    }
    for (let i = 1; i < rs.length; i++) {
      const [a, b] = [rs[i - 1], rs[i]] as [(typeof rs)[0], (typeof rs)[0]];
      expect(b.hOut.mean).toBeGreaterThan(a.hOut.mean);
      expect(b.hSnd.mean).toBeGreaterThan(a.hSnd.mean);
      expect(b.degree.mean).toBeGreaterThan(a.degree.mean);
      expect(b.delta).toBeLessThanOrEqual(a.delta);
    }
    expect(rs[3]?.degree.mean).toBeGreaterThan(0.9);
  });
});

describe('model checks and comparisons', () => {
  it('the KS delay check accepts c + Exp(m) and rejects a wrong declared m', async () => {
    const sim = { clients: 10, mu: 0.02, seconds: 10, rates: { real: 10 }, seed: 8 };
    const ok = await analyze(sim);
    expect(ok.delays.ks.accept).toBe(true);
    expect(ok.delays.fittedM).toBeCloseTo(0.02, 2);
    expect(ok.delays.fittedC).toBeCloseTo(0.0001, 4);
    const wrong = await analyze(sim, { meta: { mean_delay: 0.03 } });
    expect(wrong.delays.ks.accept).toBe(false);
  });

  it('the timing estimator (§2.4) has a higher log-loss than the exact posterior', async () => {
    const r = await analyze({ clients: 10, mu: 0.015, seconds: 15, rates: { real: 10 }, seed: 4 }, { timing: true });
    const t = r.timing;
    expect(t).toBeDefined();
    expect(t?.forward.ll.mean).toBeGreaterThan(r.forward.ll.mean);
    expect(t?.sender.flat?.ll.mean).toBeGreaterThan(r.sender.ll.mean);
  });

  it('with a buffered payload stream, gap-weighted π lowers the log-loss and the calibration gap (§2.3)', async () => {
    const r = await analyze({
      clients: 10,
      mu: 0.05,
      seconds: 25,
      cover: true,
      rates: { real: 5, payload: 50 },
      seed: 4,
    });
    const { flat, gap } = r.senderByPi;
    expect(flat && gap).toBeTruthy();
    if (!flat || !gap) return;
    expect(gap.ll.mean).toBeLessThan(flat.ll.mean);
    expect(flat.calibration.gap).toBeGreaterThan(3 * flat.calibration.se);
    expect(Math.abs(gap.calibration.gap)).toBeLessThan(Math.abs(flat.calibration.gap));
  });

  it('link latency within the watermark gives the same exact answer for any watermark (§5)', async () => {
    const sim = simulate({ clients: 10, mu: 0.015, seconds: 6, rates: { real: 10 }, seed: 4, linkLatency: 0.002 });
    const a = await analyzeSources(sim.sources, { forwardSample: 0.2 });
    const b = await analyzeSources(sim.sources, { forwardSample: 0.2, watermark: 0.01 });
    expect(a.counts.watermarkViolations).toBe(0);
    expect([b.hOut, b.hSnd, b.calibration]).toEqual([a.hOut, a.hSnd, a.calibration]);
    const low = await analyzeSources(sim.sources, { forwardSample: 0.2, watermark: 0 });
    expect(low.counts.watermarkViolations).toBeGreaterThan(0);
  });
});
