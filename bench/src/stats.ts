/** Small statistics for bench reports: quantiles, and the latency a mixnet should give in theory. */
import { readdirSync, readFileSync } from 'node:fs';

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

/**
 * Quantiles of the sum of `hops` Exp(mean μ) delays plus an Exp(`queueMs`) wait in the sender's
 * Poisson stream (0 = none): the Loopix latency model, by Monte Carlo with a fixed seed.
 */
export function theoreticalLatency(hops: number, muMs: number, queueMs: number, samples = 200_000): number[] {
  let seed = 0x9e3779b9;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return ((seed >>> 0) + 0.5) / 2 ** 32;
  };
  const out = new Float64Array(samples);
  for (let i = 0; i < samples; i++) {
    let t = queueMs > 0 ? -Math.log(rand()) * queueMs : 0;
    for (let h = 0; h < hops; h++) t += muMs > 0 ? -Math.log(rand()) * muMs : 0;
    out[i] = t;
  }
  out.sort();
  return Array.from(out);
}

/** utime + stime of a /proc stat line; comm (in parentheses) may hold spaces, so fields count after it. */
function statCpuSeconds(stat: string, ticksPerSecond: number): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
export function processCpuSeconds(pid: number, ticksPerSecond = 100): number {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'), ticksPerSecond);
  } catch {
    return 0;
  }
}

/**
 * CPU seconds per thread of a process (Linux; empty elsewhere), to show where it spends. Node does
 * not name its worker threads, so they are told apart by id; the main one is `main`.
 */
export function threadCpuSeconds(pid: number, ticksPerSecond = 100): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`))
      out[tid === String(pid) ? 'main' : `t${tid}`] = statCpuSeconds(
        readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'),
        ticksPerSecond,
      );
  } catch {
    // not Linux, or the process is gone
  }
  return out;
}
