/**
 * The auto-sizer holds its target on a ramp (issue 16 #2), on real processes: a traced 3-layer
 * testnet with `--active auto` and 5 s epochs; clients join 2 → 4 → 10 and stay at 10 for two more
 * epochs (each 10 payload packets/s), two epochs per step. The trace, analysed per epoch against
 * the directory's own epoch boundaries, must give H_out at or above the target (within 0.3 bits) in
 * every epoch with enough targets, while the median latency falls as the traffic grows.
 */
import { describe, expect, it } from 'vitest';
import { runRamp } from './ramp.js';

const TARGET = 5;

describe('auto-sizing on a traced ramp', () => {
  it('holds H_out at the target in every epoch while the latency falls', { timeout: 150_000 }, async () => {
    const r = await runRamp({
      layers: 3,
      // 10 twice: the epochs sized from 10 clients' traffic come after the first two with them (an
      // epoch's μ follows the traffic of the one before), and the run's last epoch may be cut short.
      steps: [2, 4, 10, 10],
      epochMs: 5_000,
      anonymityTargetBits: TARGET,
      mu: { minMs: 1, maxMs: 500 },
      sendGapMs: 100,
      loopGapMs: 1000,
      realRate: 3,
      log: (l) => process.stderr.write(`ramp: ${l}\n`),
    });
    for (const e of r.epochs)
      process.stderr.write(
        `epoch ${e.epoch}: ${e.clients} clients, offered ${e.offeredPerSecond.toFixed(0)}/s (before: ${e.offeredBefore.toFixed(0)}/s), μ ${e.muMs} ms, width ${e.width}; H_out ${e.hOut.mean.toFixed(2)} (n ${e.hOut.n}), p50 ${e.latency.p50.toFixed(0)} ms p95 ${e.latency.p95.toFixed(0)} ms, fitted m ${e.delays.fittedMMs.toFixed(1)} ms\n`,
      );
    const measured = r.epochs.filter((e) => e.hOut.n >= 20 && e.latency.n >= 20);
    expect(measured.length).toBeGreaterThanOrEqual(4);
    for (const e of measured) expect(e.hOut.mean).toBeGreaterThanOrEqual(TARGET - 0.3);
    // More traffic, less delay. The directory sizes an epoch from the traffic it measured in the one
    // before, so each epoch is set against that traffic: across the ramp it must rise, and μ and the
    // median latency fall. (On a loaded machine clients emit less than their nominal rate: the
    // traffic is what the trace shows, not what was asked.)
    const byTraffic = [...measured].sort((a, b) => a.offeredBefore - b.offeredBefore);
    const low = byTraffic[0] as (typeof measured)[number];
    const high = byTraffic.at(-1) as (typeof measured)[number];
    expect(high.offeredBefore).toBeGreaterThan(low.offeredBefore * 1.5);
    expect(high.muMs).toBeLessThan(low.muMs / 1.5);
    // The latency falls less than μ: it also holds the links, the gateways and the clients' queues,
    // and the service provider's and requester's cover already make the first epoch's μ moderate.
    expect(high.latency.p50).toBeLessThan(low.latency.p50 / 1.2);
  });
});
