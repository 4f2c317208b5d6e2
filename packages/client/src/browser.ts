/**
 * @mixnet/client in a browser: the client SDK with no Node imports. Bundled to
 * dist/browser/mixnet-client.js (scripts/bundle-browser.mjs), where package.json's "browser" field
 * swaps in the platform/*.browser.ts modules: the page's WebSocket, no file system, the noble Sphinx
 * backend; randomness is crypto.getRandomValues everywhere. Same API as the Node entry for clients;
 * the Node-side parts (service provider, JSON-RPC relay, directory registration) are left out.
 */
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
export { ClientOptionsError, DEFAULT_TRAFFIC } from './options.js';
export type { Eip1193RequestArguments, MixnetEip1193Provider, MixnetProviderOptions } from './provider.js';
export { createMixnetProvider, mixnetTransport, ProviderRpcError } from './provider.js';
export type { Recipient } from './recipient.js';
export { AddressError, formatRecipient, parseRecipient } from './recipient.js';
export { ReplyRefusedError } from './retention.js';
export { MessageTooLargeError } from './sender.js';
export type { TopologySource } from './topology.js';
export { loadTopology } from './topology.js';
