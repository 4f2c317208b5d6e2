/** @mixnet/socks: any application through the mixnet (SOCKS client side, network requester, stream protocol). */

export { exitGateFromPolicy } from './exit-gate.js';
export { parseExitPolicy } from './exit-policy.js'; // TEMP
export type {
  NetworkRequester,
  NetworkRequesterEvent,
  NetworkRequesterOptions,
  NetworkRequesterStats,
} from './network-requester.js';
export { startNetworkRequester } from './network-requester.js';
export type { SocksServer, SocksServerEvent, SocksServerOptions } from './socks-server.js';
export { startSocksServer } from './socks-server.js';
export type { RequestChannel, StreamClient, StreamClientOptions, StreamClientStats } from './stream-client.js';
export { createStreamClient } from './stream-client.js';
export type { Batch, Frame } from './stream-frame.js';
export { decodeBatch, encodeBatch, StreamFrameError } from './stream-frame.js';
export type { MuxStats, OpenResult, StreamMux, StreamMuxOptions } from './stream-mux.js';
export { createStreamMux, MuxStream } from './stream-mux.js';
export type { ExitGate, UpstreamResult } from './upstream.js';
export { openUpstream, SocksReply } from './upstream.js';
