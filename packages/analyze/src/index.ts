/**
 * @mixnet/analyze: the anonymity lab of ANONYMITY.md. A streaming trace reader, the exact posterior of a
 * global passive adversary with its §3 metrics, and a discrete-event simulator writing the same traces.
 */

export type { AnalyzeOptions, AnalyzeResult, PiMode, SenderByPi } from './analyze.js';
export { analyzeSources, analyzeTraces } from './analyze.js';
export type { DelayCheck } from './delays.js';
export type { EpochResult } from './epochs.js';
export type { KsResult } from './ks.js';
export { kolmogorovQ, ksPValue, ksStatistic, ksTest, shiftedExpCdf } from './ks.js';
export type { Calibration, ForwardSummary, MaybeInf, SenderSummary } from './metrics.js';
export type { EngineCounters } from './posterior.js';
export type { SimulateOptions, SimulateResult } from './simulate.js';
export { simulate } from './simulate.js';
export type { Dist } from './stats.js';
export { median, quantile, quantileSorted } from './stats.js';
export type { MetaEpoch, MetaHeader, MetaParams, TraceLine } from './trace-format.js';
export { parseLine, TraceError } from './trace-format.js';
export type { LineBatches, TraceSource } from './trace-reader.js';
export { fileSource, memorySource, resolveTracePaths } from './trace-reader.js';
export type { TraceSink } from './trace-sink.js';
export { FolderSink, MemorySink, SingleFileSink } from './trace-sink.js';
