/** @mixnet/bench: the benchmark suites behind `mixnet bench`, and the perf gate. */

export type { BenchEntry, BenchReport } from './results.js';
export type { BenchOptions, SuiteName } from './run.js';
export { parseSuites, runBench, SUITES } from './run.js';
