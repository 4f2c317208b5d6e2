/** @mixnet/chaos: declarative fault scenarios (network, traffic, timeline, expectations) run against a testnet. */
export type { DocumentSeen, RunFacts, StepRecord, Verdict } from './expectations.js';
export { evaluate, quantile } from './expectations.js';
export type { Sample } from './metrics.js';
export { parseMetrics, sumMetric } from './metrics.js';
export type { ChaosReport } from './report.js';
export { stepTable, verdictTable } from './report.js';
export type { ChaosRunOptions } from './run.js';
export { ChaosError, runScenario } from './run.js';
export { loadScenario, parseScenario, ScenarioError } from './scenario-load.js';
export type { ExpectSpec, NetworkSpec, Scenario, Step, TrafficSpec } from './scenario-schema.js';
export { parseDuration } from './scenario-schema.js';
export { scenarioSvg } from './svg.js';
