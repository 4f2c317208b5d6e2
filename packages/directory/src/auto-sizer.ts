/**
 * Auto-sizing at each epoch (docs/directory.md §7): the traffic meter's per-layer rates over the
 * ending epoch go through planActiveSet; the plan is logged, exported as gauges, and gives the next
 * document its width and muMs.
 */
import type { Logger } from 'pino';
import { type AutoSizePlan, planActiveSet } from './auto-size.js';
import type { ActiveSetConfig } from './config.js';
import type { DirectoryMetrics } from './metrics.js';
import { createTrafficMeter, type TrafficMeter, type TrafficMeterOptions, type TrafficTarget } from './traffic.js';

export interface AutoSizerOptions {
  activeSet: ActiveSetConfig;
  layers: number;
  metrics: DirectoryMetrics;
  logger: Logger;
  meter?: TrafficMeterOptions;
}

export interface AutoSizer {
  readonly meter: TrafficMeter;
  /** Reads the mixes' counters: called at each epoch boundary, before the document is drawn. */
  sample(targets: readonly TrafficTarget[]): Promise<void>;
  /** The plan for the next epoch, from the ending epoch's layers (none yet: no traffic known). */
  plan(input: { epoch: number; layers: readonly (readonly string[])[]; available: number }): AutoSizePlan;
}

export function createAutoSizer(o: AutoSizerOptions): AutoSizer {
  const meter = createTrafficMeter(o.meter);
  let lastSaid = '';
  return {
    meter,
    sample: (targets) => meter.sample(targets),
    plan({ epoch, layers, available }) {
      // Before the first document nothing was measured: the rates are 0 and μ is the largest.
      const rates = layers.length === o.layers ? meter.layerRates(layers) : Array(o.layers).fill(0);
      const plan = planActiveSet({
        rates,
        target: o.activeSet.anonymityTargetBits,
        layers: o.layers,
        available,
        minWidth: o.activeSet.minWidth,
        maxWidth: o.activeSet.maxWidth,
        muBounds: o.activeSet.mu,
      });
      rates.forEach((r, l) => {
        o.metrics.layerRate.set({ layer: String(l + 1) }, r);
      });
      o.metrics.plannedWidth.set(plan.width);
      o.metrics.plannedMu.set(plan.muMs);
      o.metrics.predictedBits.set(plan.predictedBits);
      // Said at info when the plan changes; every epoch at debug.
      const said = `${plan.width} ${plan.muMs} ${plan.reason}`;
      (said === lastSaid ? o.logger.debug : o.logger.info).call(
        o.logger,
        {
          epoch,
          rates: rates.map((r) => Math.round(r)),
          width: plan.width,
          muMs: plan.muMs,
          predictedBits: Number(plan.predictedBits.toFixed(2)),
          target: o.activeSet.anonymityTargetBits,
          reason: plan.reason,
        },
        plan.reason === 'infeasible' ? 'active set sized: target not reachable, largest μ' : 'active set sized',
      );
      lastSaid = said;
      return plan;
    },
  };
}
