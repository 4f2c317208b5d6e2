/** @mixnet/testnet: generate, start, watch and stop local mixnets. */
export { chainReady, DEV_ACCOUNT_PRIVATE_KEY, DEV_CHAIN_ID, hardhatBin, startHardhat } from './chain.js';
export type { ExperimentOptions, ExperimentResult } from './experiment.js';
export { runExperiment } from './experiment.js';
export type { GeneratedTestnet, TestnetPlan } from './generate.js';
export { checkPlan, generateTestnet, PlanError } from './generate.js';
export type { Health } from './health.js';
export { counters, healthOf, probe } from './health.js';
export type { IdleClientOptions, IdleClientResult } from './idle-client.js';
export { measureIdleClient } from './idle-client.js';
export type { ProcessEntry, Role, Runtime, TestnetState } from './layout.js';
export { DEFAULT_STATE_DIR, paths, readState, stateDir, writeState } from './layout.js';
export { freePort } from './ports.js';
export type { ProcessStart } from './proc-start.js';
export { parseStartTicks, processStart, sameProcess } from './proc-start.js';
export type { StartedProcess, TrackedProcess } from './process-runtime.js';
export { CLI_MAIN, isAlive, isOurs, stopProcess } from './process-runtime.js';
export type { DownOptions, StatusEntry, UpOptions } from './testnet.js';
export {
  DEFAULT_PLAN,
  downTestnet,
  liveProcesses,
  smokeCheck,
  TestnetError,
  testnetStatus,
  upTestnet,
} from './testnet.js';
export type { TraceMetaOptions } from './trace-meta.js';
export { writeTraceMeta } from './trace-meta.js';
