/** Prometheus text from a node's /metrics, reduced to what expectations ask for: a sum over labels. */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const value = Number(m[3]);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1] as string] = l[2] as string;
    out.push({ name: m[1] as string, labels, value });
  }
  return out;
}

/** The sum of `name`'s samples carrying every label of `labels`. */
export function sumMetric(samples: readonly Sample[], name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples)
    if (s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  return sum;
}

/** A node's samples, or undefined when it does not answer (killed, paused). */
export async function scrape(metricsUrl: string, timeoutMs = 1_500): Promise<Sample[] | undefined> {
  try {
    const res = await fetch(`${metricsUrl}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    return res.ok ? parseMetrics(await res.text()) : undefined;
  } catch {
    return undefined;
  }
}

/** Per node and reason, how much mixnet_packets_dropped_total grew between two scrapes (non-zero only). */
export function dropDeltas(
  before: ReadonlyMap<string, Sample[] | undefined>,
  after: ReadonlyMap<string, Sample[] | undefined>,
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [id, a] of after) {
    const b = before.get(id);
    if (!a || !b) continue;
    for (const s of a) {
      if (s.name !== 'mixnet_packets_dropped_total' || !s.labels.reason) continue;
      const d = s.value - sumMetric(b, s.name, { reason: s.labels.reason });
      if (d <= 0) continue;
      const node = out[id] ?? {};
      node[s.labels.reason] = (node[s.labels.reason] ?? 0) + d;
      out[id] = node;
    }
  }
  return out;
}
