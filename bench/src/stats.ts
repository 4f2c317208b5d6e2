/** Small statistics for bench reports: quantiles, and the latency a mixnet should give in theory. */
import { readdirSync, readFileSync } from 'node:fs';

// The project's one quantile/median rule (type 7: the median of an even count is the mean of the
// two middle values), shared with the gate, the experiments and the analyzer; tinybench's p50 is the same rule.
export { median, quantile as quantileOf, quantileSorted as quantile } from '@mixnet/analyze';

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

/**
 * Per-thread CPU (µs per packet, from threadCpuSeconds) as people read it. Node names no thread, so
 * the `workers` busiest threads besides main are taken as the worker threads (they do the Sphinx
 * work) and the rest are summed as V8's and libuv's helper threads.
 */
export function describeThreads(usPerPacket: Record<string, number>, workers: number): string {
  const { main, ...others } = usPerPacket;
  const sorted = Object.values(others).sort((a, b) => b - a);
  const worker = sorted.slice(0, workers);
  const helpers = sorted.slice(workers).reduce((a, b) => a + b, 0);
  const f = (us: number) => us.toFixed(0);
  const parts = [`main thread ${f(main ?? 0)}`];
  if (worker.length > 0)
    parts.push(
      `${worker.length === 1 ? 'worker' : `${worker.length} workers`} ${f(worker.reduce((a, b) => a + b, 0))}${worker.length > 1 ? ` (${worker.map(f).join(' + ')})` : ''}`,
    );
  parts.push(`V8/libuv helpers ${f(helpers)}`);
  return `${parts.join(', ')} µs/packet`;
}
