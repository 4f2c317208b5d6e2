/** The exact posterior (§2.1–2.3) on tiny hand-built traces with known answers (Loopix Thm 1 numbers). */
import { describe, expect, it } from 'vitest';
import { analyzeSources } from './analyze.js';
import { hop, meta, packet, sources } from './test-support/traces.js';

const opts = { warmup: 5, drain: 0 };

describe('exact posterior on hand-built traces', () => {
  it('two packets in one pool: each exit is 1/2, one bit forward and back', async () => {
    const src = sources(meta(), packet('p', 'a', 6, 8), packet('q', 'b', 6.5, 7));
    const r = await analyzeSources(src, opts);
    expect(r.hOut.n).toBe(2);
    expect(r.hOut.mean).toBeCloseTo(1, 12);
    expect(r.hSnd.n).toBe(2);
    expect(r.hSnd.mean).toBeCloseTo(1, 12);
    expect(r.sender.pTrue.mean).toBeCloseTo(0.5, 12);
    expect(r.forward.residual.max).toBeLessThan(1e-12);
    // log-loss equals entropy here: every target has LL = H = 1
    expect(r.calibration.out.gap).toBeCloseTo(0, 12);
    expect(r.calibration.snd.gap).toBeCloseTo(0, 12);
  });

  it('Thm 1: arrivals after a departure share the pool with the leftover mass', async () => {
    // M: p1 [6.001, 7], p2 [6.501, 8], p3 [7.501, 9]; exits 7 → (½,½,0), 8 → (¼,¼,½), 9 → (¼,¼,½)
    const src = sources(meta(), packet('p', 'a', 6, 7), packet('q', 'b', 6.5, 8), packet('s', 'a', 7.5, 9));
    const r = await analyzeSources(src, opts);
    expect(r.hOut.n).toBe(3);
    // H_out: p1 and p2 1.5 bits, p3 1 bit
    expect(r.hOut.mean).toBeCloseTo((1.5 + 1.5 + 1) / 3, 12);
    expect(r.hOut.p50).toBeCloseTo(1.5, 12);
    // LL: p1 exits at 7 with ½, p2 at 8 with ¼, p3 at 9 with ½
    expect(r.forward.ll.mean).toBeCloseTo((1 + 2 + 1) / 3, 12);
    // sender: at 7 (a,b) = (½,½); at 8 and 9 (¾,¼)
    const h34 = -(0.75 * Math.log2(0.75) + 0.25 * Math.log2(0.25));
    expect(r.hSnd.mean).toBeCloseTo((1 + 2 * h34) / 3, 12);
    expect(r.sender.pTrue.mean).toBeCloseTo((0.5 + 0.25 + 0.75) / 3, 12);
    expect(r.sender.top1).toBeCloseTo((0.5 + 0 + 1) / 3, 12);
    // N = 2 active senders (a, b) each time: d = H / log2 2
    expect(r.degree.mean).toBeCloseTo(r.hSnd.mean, 12);
    // ε = |ln q(s*)/q(s')|: 0, ln 3, ln 3; no zero pairs
    expect(r.epsilon.p50).toBeCloseTo(Math.log(3), 12);
    expect(r.epsilon.meanFinite).toBeCloseTo((2 * Math.log(3)) / 3, 12);
    expect(r.delta).toBe(0);
    expect(r.senders).toBe(2);
  });

  it('an arrival joins the pool at ti + c, not before (eligible time, §2.1)', async () => {
    // q reaches M at 6.9995, eligible at 7.0005: the departure at 7 can only be p
    const late = await analyzeSources(sources(meta(), packet('p', 'a', 6, 7), packet('q', 'b', 6.9985, 8)), opts);
    expect(late.hOut.mean).toBe(0);
    expect(late.hSnd.mean).toBe(0);
    expect(late.sender.pTrue.mean).toBe(1);
    // eligible exactly at the departure (6.999 + c = 7.000): included
    const tie = await analyzeSources(sources(meta(), packet('p', 'a', 6, 7), packet('q', 'b', 6.998, 8)), opts);
    expect(tie.hOut.mean).toBeCloseTo(1, 12);
    expect(tie.counts.infeasible).toBe(0);
  });

  it('flat and gap-weighted π (§2.3): a packet after a long silence is more likely real', async () => {
    // b sends drop cover x at 6.4 (held in M until 9, then dropped at g) and q at 6.5: π_q is small
    const drop = {
      b: [JSON.stringify({ n: 'b', tx: 6.4, nx: 'g', hx: 'x0', gt: { k: 'drop', d: 'g' } })],
      g: [hop('g', 6.4, 'b', 'x0', 6.401, 'M', 'x1'), hop('g', 9, 'M', 'x2', null)],
      M: [hop('M', 6.401, 'g', 'x1', 9, 'g', 'x2')],
    };
    const src = sources(meta(), packet('p', 'a', 6, 7), packet('q', 'b', 6.5, 8), drop);
    const r = await analyzeSources(src, { ...opts, pi: 'both', lambdaReal: 1 });
    const flat = r.senderByPi.flat;
    const gap = r.senderByPi.gap;
    expect(flat && gap).toBeTruthy();
    if (!flat || !gap) return;
    // flat: a has 1 of 3 packets in the pool at both deliveries
    expect(flat.pTrue.mean).toBeCloseTo((1 / 3 + 2 / 3) / 2, 12);
    const pa = 1 - Math.exp(-6);
    const px = 1 - Math.exp(-6.4);
    const pq = 1 - Math.exp(-0.1);
    const qa = pa / (pa + px + pq);
    expect(gap.pTrue.mean).toBeCloseTo((qa + (1 - qa)) / 2, 12);
    expect(gap.hSnd.mean).toBeCloseTo(-(qa * Math.log2(qa) + (1 - qa) * Math.log2(1 - qa)), 12);
    expect(r.primaryPi).toBe('flat');
    expect(r.counts.held).toBe(1);
  });

  it('a buffered run whose header has no λ_real gets the flat π instead of an error', async () => {
    const header = meta({ params: { watermark: 0, cover: true, scheme: 'buffered', rates: { payload: 50 } } });
    const src = sources(header, packet('p', 'a', 6, 7), packet('q', 'b', 6.5, 8));
    const r = await analyzeSources(src, opts);
    expect(r.primaryPi).toBe('flat');
    expect(r.senderByPi.gap).toBeUndefined();
    expect(r.hSnd.mean).toBeCloseTo(1, 12);
    // asked for explicitly, the gap-weighted π still needs λ_real
    await expect(analyzeSources(src, { ...opts, pi: 'gap' })).rejects.toThrow(/needs λ_real/);
  });

  it("a gateway's own processing constant per direction: a client's packet is forwarded in µs, not c", async () => {
    // As packet(), but the gateway forwards the client's packet 5 µs after it came (live gateways do no Sphinx work there).
    const fast = (id: string, from: string, t: number, out: number) => {
      const p = packet(id, from, t, out);
      p.g = [hop('g', t, from, `${id}0`, t + 0.000005, 'M', `${id}1`), ...(p.g as string[]).slice(1)];
      p.M = [hop('M', t + 0.000005, 'g', `${id}1`, out, 'g', `${id}2`)];
      return p;
    };
    const parts = [fast('p', 'a', 6, 7), fast('q', 'b', 6.5, 8)];
    const blind = await analyzeSources(sources(meta(), ...parts), opts);
    // each gateway departure before arrival + c is infeasible, counted once per departure
    expect(blind.counts.infeasible).toBe(2);
    const header = meta({ params: { watermark: 0, gateway_proc_in: 0.000005 } });
    const told = await analyzeSources(sources(header, ...parts), opts);
    expect(told.counts.infeasible).toBe(0);
    expect(told.hOut.mean).toBeCloseTo(1, 12);
  });

  it('the timing estimator (§2.4) weights every earlier arrival by exp(−(β − a − c)/m)', async () => {
    const src = sources(meta(), packet('p', 'a', 6, 7), packet('q', 'b', 6.5, 8));
    const r = await analyzeSources(src, { ...opts, timing: true });
    // at β = 7: weights e^{−(7 − 6.002)}, e^{−(7 − 6.502)} for p, q (m = 1)
    const wp = Math.exp(-(7 - 6.002));
    const wq = Math.exp(-(7 - 6.502));
    const qa = wp / (wp + wq);
    const sender = r.timing?.sender.flat;
    expect(sender).toBeDefined();
    // the first delivery (p, from a) has q(a) = wp/(wp+wq); the second (q, from b) sees the same sums
    expect(sender?.pTrue.mean).toBeCloseTo((qa + (1 - qa)) / 2, 12);
  });
});
