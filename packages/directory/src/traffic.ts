/**
 * The traffic the directory measures for auto-sizing (docs/directory.md §7): each mix's
 * `mixnet_packets_received_total` read from the metrics URL of its descriptor, once per epoch
 * boundary; a mix's rate is the counter's increase over the time between its last two samples.
 * A mix that did not answer, restarted (the counter went down) or has one sample only has no rate:
 * its layer's sum leaves it out, which under-estimates the traffic (the safe side: a larger μ).
 */

export const PACKETS_COUNTER = 'mixnet_packets_received_total';

export interface TrafficTarget {
  id: string;
  metricsUrl: string;
}

export interface TrafficMeterOptions {
  /** Per scrape; default 1 s (the epoch's document waits for the slowest). */
  timeoutMs?: number;
  /** Replaces the HTTP GET of `<metricsUrl>/metrics` (tests). */
  scrape?: (metricsUrl: string, timeoutMs: number) => Promise<string>;
  now?: () => number;
}

export interface TrafficMeter {
  /** Reads every target's counter now (all at once); failures only leave that node without a rate. */
  sample(targets: readonly TrafficTarget[]): Promise<void>;
  /** Packets per second between the node's last two samples. */
  rate(id: string): number | undefined;
  /** Per layer, the sum of its mixes' rates (0 for a mix without one). */
  layerRates(layers: readonly (readonly string[])[]): number[];
}

/** The sum of a counter's series in Prometheus text (every label set), or undefined when absent. */
export function readCounter(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{[^}]*\})?\s+([0-9.eE+-]+|NaN|\+Inf)(?:\s+\d+)?\s*$/.exec(line);
    if (!m || m[1] !== name) continue;
    const v = Number(m[2]);
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

const httpScrape = async (metricsUrl: string, timeoutMs: number): Promise<string> => {
  const res = await fetch(`${metricsUrl.replace(/\/+$/, '')}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
};

interface Sample {
  t: number;
  count: number;
}

export function createTrafficMeter(opts: TrafficMeterOptions = {}): TrafficMeter {
  const timeoutMs = opts.timeoutMs ?? 1_000;
  const scrape = opts.scrape ?? httpScrape;
  const now = opts.now ?? Date.now;
  const last = new Map<string, Sample>();
  const rates = new Map<string, number>();

  const one = async (target: TrafficTarget) => {
    let count: number | undefined;
    try {
      count = readCounter(await scrape(target.metricsUrl, timeoutMs), PACKETS_COUNTER);
    } catch {
      count = undefined;
    }
    const t = now();
    const prev = last.get(target.id);
    if (count === undefined) {
      last.delete(target.id);
      rates.delete(target.id);
      return;
    }
    last.set(target.id, { t, count });
    if (prev && count >= prev.count && t > prev.t) rates.set(target.id, ((count - prev.count) * 1000) / (t - prev.t));
    else rates.delete(target.id);
  };

  return {
    async sample(targets) {
      const ids = new Set(targets.map((t) => t.id));
      for (const id of [...last.keys()]) if (!ids.has(id)) last.delete(id);
      for (const id of [...rates.keys()]) if (!ids.has(id)) rates.delete(id);
      await Promise.all(targets.map(one));
    },
    rate: (id) => rates.get(id),
    layerRates: (layers) => layers.map((l) => l.reduce((s, id) => s + (rates.get(id) ?? 0), 0)),
  };
}
