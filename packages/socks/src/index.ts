/**
 * @mixnet/socks: any application through the mixnet. The SOCKS4/4a/5 handshake codec and the exit
 * policy (torrc syntax), the stream protocol over mixnet messages, the local SOCKS server and the
 * network requester.
 */
export { DEFAULT_EXIT_POLICY, PRIVATE_ADDRESS_POLICY } from './default-policy.js';
export { exitGateFromPolicy } from './exit-gate.js';
export type {
  AddressPattern,
  ExitPolicy,
  PolicyAction,
  PolicyDestination,
  PolicyField,
  PolicyRule,
  PolicyRuleRef,
  PolicyVerdict,
  PortRange,
  VerdictReason,
} from './exit-policy.js';
export { checkResolved, createExitPolicy, ExitPolicyError, parseExitPolicy } from './exit-policy.js';
export type { HostPattern } from './hostname.js';
export { hostnameProblem, normalizeHostname } from './hostname.js';
export type { IpAddress, IpFamily } from './ip.js';
export { formatIp, normalizeIp, parseIp } from './ip.js';
export type {
  NetworkRequester,
  NetworkRequesterEvent,
  NetworkRequesterOptions,
  NetworkRequesterStats,
} from './network-requester.js';
export { startNetworkRequester } from './network-requester.js';
export { PRIVATE_RANGES } from './private-ranges.js';
export { encodeSocks4Connect, encodeSocks5Connect, encodeSocks5Greeting } from './socks-client.js';
export type {
  SocksAddressType,
  SocksErrorField,
  SocksParseResult,
  SocksParser,
  SocksParserOptions,
  SocksRequest,
  SocksVersion,
} from './socks-codec.js';
export {
  createSocksParser,
  DEFAULT_MAX_HANDSHAKE_BYTES,
  MAX_SOCKS_NAME_BYTES,
  SocksProtocolError,
} from './socks-codec.js';
export type { Socks5ReplyCode, SocksBindAddress } from './socks-reply.js';
export {
  failureReply,
  SOCKS4_GRANTED,
  SOCKS4_REJECTED,
  SOCKS5_REPLY,
  socks4Reply,
  socks5CodeForError,
  socks5Reply,
  successReply,
} from './socks-reply.js';
export type { SocksServer, SocksServerEvent, SocksServerOptions } from './socks-server.js';
export { startSocksServer } from './socks-server.js';
export type {
  RequestChannel,
  StreamClient,
  StreamClientOptions,
  StreamClientStats,
  TopologyView,
} from './stream-client.js';
export { createStreamClient, requesterAddress } from './stream-client.js';
export type { Batch, Frame } from './stream-frame.js';
export { decodeBatch, encodeBatch, StreamFrameError } from './stream-frame.js';
export type { MuxStats, OpenResult, StreamMux, StreamMuxOptions } from './stream-mux.js';
export { createStreamMux, MuxStream } from './stream-mux.js';
export type { ExitGate, UpstreamResult } from './upstream.js';
export { openUpstream } from './upstream.js';
