/** @mixnet/testnet: generate, start, watch and stop local mixnets. */
export { chainReady, DEV_ACCOUNT_PRIVATE_KEY, DEV_CHAIN_ID, hardhatBin, startHardhat } from './chain.js';
export { clientNetwork } from './client-network.js';
export type {
  DirectoryNode,
  DirectoryRef,
  DirectoryStatus,
  FillTarget,
} from './directory-api.js';
export {
  adminScale,
  DirectoryApiError,
  fetchDocument,
  fetchEpochDocument,
  fetchNodes,
  fetchStatus,
  unfilled,
  waitForDocument,
} from './directory-api.js';
export type { ExperimentOptions, ExperimentResult } from './experiment.js';
export { runExperiment } from './experiment.js';
export type { FaultRule, FaultsAnswer, NodeFaultsResult, ProcessFaultResult } from './faults.js';
export {
  checkFaultRules,
  clearNodeFaults,
  FaultRuleError,
  getNodeFaults,
  pauseNode,
  relayIdsOf,
  restartNode,
  resumeNode,
  setNodeFaults,
} from './faults.js';
export type { GeneratedTestnet, TestnetPlan } from './generate.js';
export { checkPlan, generateTestnet, PlanError, relayIds } from './generate.js';
export type { LatencyModel, Region } from './geo.js';
export { assignRegions, geoRules, oneWayMs, REGIONS, RTT_MS } from './geo.js';
export type { DocumentRecord, FaultRecord, HealFault, HealOptions, HealTimeline } from './heal.js';
export { runHealScenario } from './heal.js';
export type { FaultSummary, HealSummary } from './heal-summary.js';
export { healSummary, LATENCY_TOLERANCE } from './heal-summary.js';
export type { MessageRecord, TrafficFlow, TrafficFlowOptions } from './heal-traffic.js';
export { createTrafficFlow, latencies, median } from './heal-traffic.js';
export type { Health } from './health.js';
export { counters, healthOf, isPaused, probe } from './health.js';
export type { IdleClientOptions, IdleClientResult } from './idle-client.js';
export { measureIdleClient } from './idle-client.js';
export type { KubernetesState, ProcessEntry, Role, Runtime, TestnetState } from './layout.js';
export { DEFAULT_STATE_DIR, paths, readState, stateDir, writeState } from './layout.js';
export type { NodeAction, NodeControlOptions, NodeControlResult } from './node-control.js';
export { controlNode } from './node-control.js';
export type { HostPlan, NodesPerProcess } from './packing.js';
export { AUTO_NODES_PER_PROCESS, PACK_ABOVE, packRelays, resolveNodesPerProcess } from './packing.js';
export { freePort } from './ports.js';
export type { ProcessStart } from './proc-start.js';
export { parseStartTicks, processStart, sameProcess } from './proc-start.js';
export type { StartedProcess, TrackedProcess } from './process-runtime.js';
export { CLI_MAIN, isAlive, isOurs, stopProcess } from './process-runtime.js';
export type { RampEpoch, RampOptions, RampResult } from './ramp.js';
export { runRamp } from './ramp.js';
export { REQUESTER_SEND_GAP_MS } from './requester-files.js';
export type { ScaleOptions, ScaleResult } from './scale.js';
export { scaleTestnet } from './scale.js';
export type { DownOptions, StatusEntry, TestnetStatus, UpOptions } from './testnet.js';
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
