/**
 * The client end of the stream protocol: one session with one network requester, carried by the
 * client's `request`s. Every request is a batch of our frames with reply SURBs; the requester holds
 * it (a long poll) until it has frames for us, or answers it empty after its hold time. So the
 * requester is kept supplied with SURBs as the JSON-RPC path does: each poll brings some, and a
 * reply that needs more asks for them (replies.ts). While streams are open we keep polls
 * outstanding, more of them (and more SURBs each) while the requester reports a backlog.
 */
import { randomBytes } from 'node:crypto';
import { batchSize, decodeBatch, encodeBatch, SESSION_ID_SIZE } from './stream-frame.js';
import { createStreamMux, type MuxStats, type OpenResult, type StreamMux } from './stream-mux.js';

/** What the stream client needs of a mixnet client (`MixnetClient` fits). */
export interface RequestChannel {
  request(to: string, bytes: Uint8Array, opts?: { timeoutMs?: number; surbs?: number }): Promise<Uint8Array>;
}

export interface StreamClientOptions {
  client: RequestChannel;
  /** The network requester's address (`<identity hex>@<gateway id>`). */
  requester: string | (() => string);
  /** Largest batch we send, and ask the requester to answer with. Default 32 KiB. */
  batchBytes?: number;
  /** Polls outstanding at most. Default 6. */
  maxPolls?: number;
  window?: number;
  idleMs?: number;
  /** A request (poll) that gets no reply in this long is given up. Default 30 s. */
  requestTimeoutMs?: number;
}

export interface StreamClientStats extends MuxStats {
  requests: number;
  replies: number;
  failedRequests: number;
  badReplies: number;
  polls: number;
  /** Why the last request failed. */
  lastError?: string;
}

export interface StreamClient {
  open(host: string, port: number, timeoutMs?: number): Promise<OpenResult>;
  stats(): StreamClientStats;
  close(): void;
}

/** What `requesterAddress` reads of a mixnet client (`MixnetClient` fits). */
export interface TopologyView {
  readonly topology: { readonly serviceProviders: readonly { id: string; address: string; gateway: string }[] };
}

/**
 * The requester's full address, looked up by id (or address) in the client's current topology,
 * and remembered: a document that misses it for an epoch (a late re-registration) does not cut
 * the streams off. The id itself is returned until it has been seen once.
 */
export function requesterAddress(client: TopologyView, idOrAddress: string): () => string {
  let known: string | undefined;
  return () => {
    const sp = client.topology.serviceProviders.find((s) => s.id === idOrAddress || s.address === idOrAddress);
    if (sp) known = `${sp.address}@${sp.gateway}`;
    return known ?? idOrAddress;
  };
}

/** Reply bytes one SURB carries (a little under the client's REPLY_CAPACITY, to be safe). */
const REPLY_BYTES_PER_SURB = 1_800;

export function createStreamClient(opts: StreamClientOptions): StreamClient {
  const batchBytes = opts.batchBytes ?? 32 * 1024;
  const maxPolls = opts.maxPolls ?? 6;
  const requester = typeof opts.requester === 'string' ? () => opts.requester as string : opts.requester;
  const session = new Uint8Array(randomBytes(SESSION_ID_SIZE));
  let outstanding = 0;
  let backlog = 0;
  let closed = false;
  let failures = 0;
  let lastError: string | undefined;
  let retry: NodeJS.Timeout | undefined;
  const stats = { requests: 0, replies: 0, failedRequests: 0, badReplies: 0, polls: 0 };

  const mux: StreamMux = createStreamMux({
    onOutbound: () => pump(),
    ...(opts.window ? { window: opts.window } : {}),
    ...(opts.idleMs ? { idleMs: opts.idleMs } : {}),
  });
  const sweeper = setInterval(() => mux.sweep(), 1_000);
  sweeper.unref();

  const surbsFor = () =>
    Math.min(64, Math.max(3, Math.ceil(Math.min(backlog || batchBytes / 4, batchBytes) / REPLY_BYTES_PER_SURB) + 1));

  const send = () => {
    const frames = mux.take(batchBytes);
    if (frames.length === 0) stats.polls++;
    const bytes = encodeBatch({ session, backlog: 0, frames });
    outstanding++;
    stats.requests++;
    opts.client
      .request(requester(), bytes, { surbs: surbsFor(), timeoutMs: opts.requestTimeoutMs ?? 30_000 })
      .then(
        (reply) => {
          stats.replies++;
          failures = 0;
          let batch: ReturnType<typeof decodeBatch>;
          try {
            batch = decodeBatch(reply);
          } catch {
            stats.badReplies++;
            return;
          }
          if (Buffer.compare(batch.session, session) !== 0) {
            stats.badReplies++;
            return;
          }
          backlog = batch.backlog;
          mux.receive(batch.frames);
        },
        (err: Error) => {
          // Lost (timeout or undeliverable): frames in it are gone; the streams' idle timeout bounds the damage.
          stats.failedRequests++;
          lastError = err.message;
          failures++;
        },
      )
      .finally(() => {
        outstanding--;
        if (failures === 0) return pump();
        // Failing at once (no route to the requester yet…): poll again later, not in a tight loop.
        if (!retry) {
          retry = setTimeout(
            () => {
              retry = undefined;
              pump();
            },
            Math.min(5_000, 100 * 2 ** Math.min(failures, 6)),
          );
          retry.unref();
        }
      });
    return batchSize(frames);
  };

  /** Sends what waits, then tops the polls up while streams are open. */
  function pump(): void {
    if (closed) return;
    while (mux.pendingBytes > 0) send();
    if (mux.size === 0) return;
    const want = Math.min(maxPolls, 2 + Math.ceil(backlog / batchBytes));
    while (outstanding < want) send();
  }

  return {
    open: (host, port, timeoutMs = 60_000) => mux.open(host, port, timeoutMs),
    stats: () => ({ ...mux.stats(), ...stats, ...(lastError ? { lastError } : {}) }),
    close() {
      mux.close();
      // One last batch carries the resets.
      if (mux.pendingBytes > 0) send();
      closed = true;
      clearInterval(sweeper);
      if (retry) clearTimeout(retry);
    },
  };
}
