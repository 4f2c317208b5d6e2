/** @mixnet/dashboard: a live web page for a running testnet, from its state folder alone. */
export type { AnonymityFigures, AnonymityOptions } from './anonymity.js';
export { windowAnonymity } from './anonymity.js';
export type { Collector, CollectorOptions, EpochView, FaultRule, NodeView, Snapshot } from './collector.js';
export { createCollector } from './collector.js';
export type { ClientsView, Feed, FeedOptions, FeedSnapshot } from './feed.js';
export { createFeed } from './feed.js';
export type { LatencyFigures, LatencySample } from './latency.js';
export { LATENCY_EDGES, latencyFigures } from './latency.js';
export type { NodeCounters, NodeRates, Scrape } from './node-figures.js';
export { counterRate, nodeCounters, nodeRates } from './node-figures.js';
export type { Probe, ProbeFigures, ProbeOptions } from './probe.js';
export { createProbe } from './probe.js';
export type { ParsedMetrics, Sample } from './prometheus.js';
export { byLabel, parsePrometheus, sumOf } from './prometheus.js';
export type { Dashboard, DashboardOptions } from './server.js';
export { startDashboard } from './server.js';
