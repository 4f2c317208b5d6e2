/** @mixnet/node: mix node and gateway daemons. */

export type { GatewayConfig, MixNodeConfig, NodeConfig, NodeConfigInput } from './config.js';
export {
  ConfigError,
  hostPort,
  loadConfigFile,
  loadNodeConfig,
  logLevel,
  nodeConfigSchema,
  parseNodeConfig,
} from './config.js';
export type {
  DirectoryAgent,
  DirectoryAgentOptions,
  DirectoryAgentStats,
  DirectoryStatus,
  DocumentListener,
} from './directory-agent.js';
export { createDirectoryAgent } from './directory-agent.js';
export type { FaultsAnswer, RouteHandler } from './fault-admin.js';
export { createFaultAdmin, FAULTS_PATH } from './fault-admin.js';
export type { FaultDirection, FaultRule, FaultTable, FaultTableOptions, LinkEffect } from './faults.js';
export { createFaultTable, faultRuleSchema, faultRulesBodySchema, mergeEffects } from './faults.js';
export type { Gateway } from './gateway.js';
export { createGateway } from './gateway.js';
export type { HostedNode, NodeHost, NodeHostOptions } from './host.js';
export { createNodeHost, runHost } from './host.js';
export type { HostConfig } from './host-config.js';
export { hostConfigSchema, loadHostConfig } from './host-config.js';
export type { NodeKeys } from './keys.js';
export { generateNodeKeys, KeyFileError, loadNodeKeys, readKey, readTokenFile, writeKey } from './keys.js';
export type { Link, LinkEmulation, LinkOptions, LinkPool } from './link.js';
export { createLink, createLinkPool, emulationRule } from './link.js';
export type { Logger } from './logger.js';
export { createLogger } from './logger.js';
export type { Membership, MembershipNode, MembershipOptions } from './membership.js';
export { createMembership, DEFAULT_GRACE_MS } from './membership.js';
export { loadTopologyMembers, membersFromTopology } from './membership-topology.js';
export type { ObservabilityEndpoints } from './metrics.js';
export { serveObservability } from './metrics.js';
export type { MixNode } from './mix-node.js';
export { createMixNode } from './mix-node.js';
export type { PacketServer, PacketServerOptions } from './packet-server.js';
export { createPacketServer } from './packet-server.js';
export { nodeFlagsFor, RELAY_NODE_FLAGS } from './process-flags.js';
export { runNode, stopOnSignal } from './run.js';
export type { SphinxKey, SphinxKeyRing, SphinxKeyRingOptions } from './sphinx-keys.js';
export { createStaticKeyRing, KeyRingError, openSphinxKeyRing } from './sphinx-keys.js';
export type { TraceIn, Tracer } from './trace.js';
