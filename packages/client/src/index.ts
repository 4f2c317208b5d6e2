/** @mixnet/client: the mixnet client SDK, the JSON-RPC service provider, and the viem transport. */
export type {
  ClientEvent,
  ClientOptions,
  ClientStats,
  IncomingMessage,
  MixnetClient,
  ReplyLimits,
  RequestOptions,
  SendResult,
  TopologyStatus,
  TrafficOptions,
} from './client.js';
export { createClient } from './client.js';
export type { Registration, RegistrationOptions, RegistrationResult } from './directory-registration.js';
export { createRegistration } from './directory-registration.js';
export type {
  DirectoryOptions,
  DirectoryStats,
  TopologyEvent,
  TopologyFeed,
  TopologyRefreshOptions,
  TopologySourceOptions,
} from './directory-source.js';
export { createTopologySource, DEFAULT_REFRESH, DirectoryUnavailableError } from './directory-source.js';
export type { FailoverOptions, GatewayMoveReason } from './gateway-link.js';
export { DEFAULT_FAILOVER } from './gateway-link.js';
export type { RelayPolicy } from './json-rpc-relay.js';
export { DEFAULT_ALLOWED_METHODS, RelayErrorCode, relayJsonRpc } from './json-rpc-relay.js';
export { ClientOptionsError, DEFAULT_TRAFFIC } from './options.js';
export type { ProbeClient, ProbeClientOptions } from './probe.js';
export { createProbeClient } from './probe.js';
export type { ProgressEvent, RetransmitReason, WaitingFor } from './progress.js';
export type { Eip1193RequestArguments, MixnetEip1193Provider, MixnetProviderOptions } from './provider.js';
export { createMixnetProvider, mixnetTransport, ProviderRpcError } from './provider.js';
export type { Recipient } from './recipient.js';
export { AddressError, formatRecipient, parseRecipient } from './recipient.js';
export type { RetentionBudget } from './retention.js';
export { createRetentionBudget, ReplyRefusedError } from './retention.js';
export { MessageTooLargeError } from './sender.js';
export type {
  ServiceProvider,
  ServiceProviderEvent,
  ServiceProviderOptions,
  ServiceProviderStats,
} from './service-provider.js';
export { startServiceProvider } from './service-provider.js';
export type { TopologySource } from './topology.js';
export { loadTopology } from './topology.js';
