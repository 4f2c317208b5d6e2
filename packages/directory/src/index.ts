/** @mixnet/directory: the directory authority (docs/directory.md). */
export type { AdminDecision } from './auth.js';
export { authorizeAdmin, isLoopback } from './auth.js';
export type { DirectoryConfig, DirectoryConfigInput } from './config.js';
export { ConfigError, directoryConfigSchema, loadDirectoryConfig, parseDirectoryConfig } from './config.js';
export type { Directory, DirectoryOptions } from './directory.js';
export { createDirectory } from './directory.js';
export { epochSeed, keyRotationOf } from './epochs.js';
export { KeyFileError } from './keys.js';
export type { DirectoryMetrics } from './metrics.js';
export type { MonitorTarget, ProbeFn, ProbeRoute, RoundSummary } from './monitor.js';
export { runDirectory } from './run.js';
export type { RoundResult } from './scores.js';
export { scoreOf } from './scores.js';
export type { Candidate, Selection, SelectionInput } from './selection.js';
export { SCORE_EXPONENT, selectActiveSet } from './selection.js';
export type { NodeView, PublishedDocument, StatusView } from './server.js';
export { StoreError } from './store.js';
