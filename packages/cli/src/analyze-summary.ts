/**
 * `mixnet analyze` for people: every figure with what it means, its scale (0 … log2 N) and what a
 * good value is, so a reader need not open ANONYMITY.md (docs/anonymity.md) to read a run.
 */
import type { AnalyzeResult, Dist, EpochResult, ForwardSummary, MaybeInf, SenderSummary } from '@mixnet/analyze';
import { table } from './output.js';

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : x === Infinity ? 'inf' : '–');
/** Counts and sizes: whole when large, one decimal when small. */
const g = (x: number) =>
  !Number.isFinite(x) ? '–' : Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, '');
const eps = (x: MaybeInf) => (x === 'inf' ? 'inf' : f3(x));
const bits = (x: number) => `${f3(x)} bits`;

function row(metric: string, d: Dist, scale: string) {
  return { metric, mean: f3(d.mean), p10: f3(d.p10), p50: f3(d.p50), p90: f3(d.p90), n: d.n, scale };
}

/** The three headline figures, one row each, with their scale. */
function headline(r: AnalyzeResult): string {
  const n = r.sender.activeSenders.mean;
  const maxSnd = n > 1 ? Math.log2(n) : 0;
  return table([
    row('H_out (bits)', r.hOut, `0 = exit found; 2^H_out ≈ ${g(2 ** r.hOut.mean)} packets hide it (no fixed maximum)`),
    row('H_snd (bits)', r.hSnd, `0 = sender known … log2 N = ${f3(maxSnd)} = any of N ≈ ${g(n)} active senders`),
    row('degree d', r.degree, '0 = sender known … 1 = every active sender as likely (d ≥ 0.9 is good)'),
  ]);
}

function epsilonLine(s: SenderSummary): string {
  const e = s.epsilon;
  const finite = Number.isFinite(e.meanFinite) ? f3(e.meanFinite) : 'none finite';
  return [
    `ε (Loopix unlinkability, |ln| of the odds true sender : another sender; 0 is perfect, below 1 is good, inf = told apart for sure):`,
    `  p50 ${eps(e.p50)}, p95 ${eps(e.p95)}, mean of the finite ones ${finite}, over ${e.pairs} pairs`,
    `δ ${f3(s.delta)}: share of those pairs the adversary tells apart for sure (0 is good, 1 = every sender ruled out)`,
  ].join('\n');
}

function calibrationLine(r: AnalyzeResult): string {
  const c = r.calibration;
  const fit = (g: number, se: number) =>
    !Number.isFinite(g)
      ? 'no targets'
      : Math.abs(g) <= 2 * se
        ? 'fits'
        : g > 0
          ? 'does not fit: the model misses something'
          : 'pessimistic';
  return [
    `calibration gap (mean log-loss − mean entropy, bits; within ±2 SE of 0 = the adversary model fits the data):`,
    `  forward ${f3(c.out.gap)} ± ${f3(c.out.se)} (${fit(c.out.gap, c.out.se)}), sender ${f3(c.snd.gap)} ± ${f3(c.snd.se)} (${fit(c.snd.gap, c.snd.se)})`,
  ].join('\n');
}

function delayLine(r: AnalyzeResult): string {
  const d = r.delays;
  const ms = (s: number) => `${f3(s * 1000)} ms`;
  return [
    `delays of ${d.n} mix hops: fitted c ${ms(d.fittedC)} + Exp(mean ${ms(d.fittedM)}) against the declared Exp(mean ${ms(d.m)});`,
    `  KS D ${f3(d.ks.d ?? Number.NaN)}: ${d.ks.accept ? 'the exponential model holds (the posterior above is exact)' : 'the exponential model is REJECTED (the posterior is an approximation)'}`,
  ].join('\n');
}

function timingLines(r: AnalyzeResult): string[] {
  const t = r.timing;
  if (!t) return [];
  const snd: SenderSummary | undefined = (r.primaryPi === 'gap' ? t.sender.gap : t.sender.flat) ?? t.sender.flat;
  const fwd: ForwardSummary = t.forward;
  const ll = (x: { mean: number }) => f3(x.mean);
  return [
    '',
    'timing estimator (Danezis 2004, a weaker adversary that does not count departures; compare with the exact one):',
    table([
      {
        estimator: 'exact posterior',
        'H_out mean': f3(r.hOut.mean),
        'forward log-loss': ll(r.forward.ll),
        'H_snd mean': f3(r.hSnd.mean),
        'sender log-loss': ll(r.sender.ll),
      },
      {
        estimator: 'timing',
        'H_out mean': f3(fwd.hOut.mean),
        'forward log-loss': ll(fwd.ll),
        'H_snd mean': snd ? f3(snd.hSnd.mean) : '–',
        'sender log-loss': snd ? ll(snd.ll) : '–',
      },
    ]),
    'log-loss = −log2 of the probability given to the truth, bits: the lower, the stronger the adversary (the exact one should be lowest).',
  ];
}

/** Trace problems worth a line (ANONYMITY.md §5 counters); silent when the trace is clean. */
function traceLines(r: AnalyzeResult): string[] {
  const c = r.counts;
  const notes: string[] = [];
  if (c.infeasible > 0)
    notes.push(
      `${c.infeasible} departures had no packet that could have left then (every arrival + c is later): the node was faster than the declared c, or a gateway released packets out of arrival order (params.gateway_window)`,
    );
  if (c.orphanArrivals > 0)
    notes.push(`${c.orphanArrivals} arrivals whose sending node wrote no line (a node without trace?)`);
  if (c.watermarkViolations > 0)
    notes.push(
      `${c.watermarkViolations} arrivals further than the watermark from their departure (clock skew or slow links)`,
    );
  return notes.length > 0 ? ['', 'trace notes:', ...notes.map((n) => `  ${n}`)] : [];
}

export function summarize(r: AnalyzeResult): string {
  const s = r.sender;
  return [
    `${r.targets.forward} forward targets, ${r.targets.sender} delivered real messages, ${r.senders} senders; ${r.network.layers} layers × ${r.network.width}, mean delay ${f3(r.network.meanDelay * 1000)} ms`,
    '',
    headline(r),
    '',
    `the adversary's best guess names the true sender ${g(s.top1 * 100)} % of the time (a blind guess: ${g(100 / Math.max(1, s.activeSenders.mean))} %); mean p(true sender) ${f3(s.pTrue.mean)}`,
    epsilonLine(s),
    calibrationLine(r),
    delayLine(r),
    ...timingLines(r),
    ...traceLines(r),
    '',
    `the method: docs/anonymity.md · all figures: --json · ${bits(r.hSnd.mean)} of sender anonymity ≈ hiding among ${g(2 ** r.hSnd.mean)} senders`,
  ].join('\n');
}

/** `--per-epoch`: one row per epoch of a run with a directory (its μ, width and traffic, and what they bought). */
export function summarizeEpochs(epochs: readonly EpochResult[]): string {
  const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(x >= 100 ? 0 : 1) : '–');
  return [
    table(
      epochs.map((e) => ({
        epoch: e.epoch,
        'from (s)': f3(e.from),
        'μ ms': ms(e.muMs),
        width: e.width,
        'offered /s': g(e.offeredPerSecond),
        'H_out mean': f3(e.hOut.mean),
        'H_out p10': f3(e.hOut.p10),
        targets: e.hOut.n,
        'degree mean': f3(e.degree.mean),
        'p50 ms': ms(e.latency.p50),
        'p95 ms': ms(e.latency.p95),
        'fitted m ms': ms(e.delays.fittedMMs),
      })),
    ),
    'μ: what the directory published; offered: packets/s the clients emitted; latency: real packets, emission → delivery;',
    'fitted m: the mean of the true mix delays beyond c (it follows μ once clients fetch the document); targets: forward targets counted.',
  ].join('\n');
}
