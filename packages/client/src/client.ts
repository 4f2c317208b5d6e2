/**
 * The mixnet client (ARCHITECTURE.md, "Mixing and traffic"): connects to a gateway, sends through
 * a Poisson stream with drop and loop cover, retransmits what is not acknowledged, and sends and
 * answers requests through SURBs.
 */
import { type BackendChoice, getBackend, recoverMessage } from '@mixnet/sphinx';
import { DROP_COVER_DESTINATION, type Topology, type TopologyGateway, traceClientName } from '@mixnet/sphinx/wire';
import { ed25519 } from '@noble/curves/ed25519.js';
import { randomBytes, toHex } from './bytes.js';
import { ackPacket, type ClientCore, type ClientStats, createCore, emptyStats } from './core.js';
import {
  createTopologySource,
  type DirectoryOptions,
  type DirectoryStats,
  type TopologyEvent,
  type TopologyRefreshOptions,
} from './directory-source.js';
import { coverContent, DATA_CAPACITY, openData } from './envelope.js';
import {
  createGatewayLink,
  DEFAULT_FAILOVER,
  type FailoverOptions,
  type GatewayLink,
  type GatewayMoveReason,
} from './gateway-link.js';
import { decodeMessage, encodeMessage } from './message.js';
import { resolveTraffic, type TrafficOptions } from './options.js';
import { unref } from './platform/timers.js';
import type { ProgressEvent } from './progress.js';
import { pick } from './random.js';
import { createReassembler } from './reassembly.js';
import { formatRecipient, parseRecipient, type Recipient } from './recipient.js';
import { createReplies, type RequestOptions } from './replies.js';
import { type ReplyLimits, resolveReplyLimits } from './retention.js';
import { sealKeysFromIdentity } from './seal.js';
import { createSender, MessageTooLargeError, type SendResult } from './sender.js';
import { createLivePlanner, standbyGateways, type TopologySource } from './topology.js';
import { createClientTracer } from './trace.js';
import { createTrafficShaper } from './traffic.js';

export interface ClientOptions {
  /**
   * A topology object, or the path or URL of the testnet's topology.json: fixed, for offline use.
   * With `directory` too, it is the fallback while the directory cannot be reached at start.
   */
  topology?: TopologySource;
  /** The directory (docs/directory.md): routes come from its signed document, refreshed every epoch. */
  directory?: DirectoryOptions;
  /** When to fetch the directory's document again (defaults in DEFAULT_REFRESH). */
  refresh?: Partial<TopologyRefreshOptions>;
  /**
   * Gateway id to register with; a random one by default. With a directory it is a preference:
   * if it is not in the active set, another active gateway is used.
   */
  gateway?: string;
  /**
   * Moving to another active gateway when ours leaves the topology or stays down longer than
   * `afterMs`. On by default with a directory, off with a topology only (`false` turns it off).
   * After a move the old gateway is still listened to for `handoverMs` (gateway-link.ts): what
   * reaches it for us (its mailbox, packets sent to our old address) is not lost.
   */
  failover?: Partial<FailoverOptions> | boolean;
  /** Sees every ClientEvent, those of the start included. */
  onEvent?: (event: ClientEvent) => void;
  /** 32-byte Ed25519 secret key: our address. Fresh by default. */
  identity?: Uint8Array;
  traffic?: Partial<TrafficOptions>;
  /** What we hold for requests we answer (issue 14 #11): byte caps and how soon state is forgotten. */
  replies?: Partial<ReplyLimits>;
  crypto?: BackendChoice;
  /** Trace mode (ANONYMITY.md §1): our emissions (with ground truth) and deliveries, to `<dir>/<name>.jsonl`. */
  trace?: { dir: string };
}

export interface IncomingMessage {
  data: Uint8Array;
  /** Present when the sender attached reply SURBs (a `request`): answers it anonymously. */
  reply?: (bytes: Uint8Array) => Promise<void>;
}

export type ClientEvent =
  | TopologyEvent
  /** We registered with another gateway: our address is now `address`. */
  | { type: 'gateway-changed'; from: string; to: string; reason: GatewayMoveReason; address: string }
  /** Our gateway should be left, but no other would take us: we stay and try again. */
  | { type: 'gateway-move-failed'; from: string; reason: GatewayMoveReason; tried: string[] }
  /** A fragment sent again and why; a message (or request) still waiting after 2 s, and for what. */
  | ProgressEvent;

export interface TopologyStatus {
  source: 'directory' | 'static';
  /** The document's epoch (directory only). */
  epoch: number | undefined;
  /** false while the directory cannot be reached (the last good document stays in use). */
  reachable: boolean;
  /** The document in use ended more than one epoch ago. */
  stale: boolean;
  directory: DirectoryStats;
  /** The mean per-hop delay drawn now: traffic.mu when set, else the document's muMs, else the default. */
  muMs: number;
}

export interface MixnetClient {
  /** `<identity hex>@<gateway id>`: what others pass to `send`. Changes when the client moves gateway. */
  readonly address: string;
  readonly identity: Uint8Array;
  /** The topology routes are built from now (the current epoch's active set, with a directory). */
  readonly topology: Topology;
  /** Directory and topology events (see ClientEvent); returns the unsubscribe function. */
  onEvent(cb: (event: ClientEvent) => void): () => void;
  topologyStatus(): TopologyStatus;
  /** Resolves when every fragment has been acknowledged. */
  send(to: string | Recipient, bytes: Uint8Array): Promise<SendResult>;
  onMessage(cb: (message: IncomingMessage) => void): () => void;
  /** Sends `bytes` with reply SURBs and resolves with the reply. */
  request(to: string | Recipient, bytes: Uint8Array, opts?: RequestOptions): Promise<Uint8Array>;
  stats(): ClientStats;
  readonly connected: boolean;
  /** Waits up to `flushMs` for queued packets to leave, then closes; pending sends and requests fail. */
  close(opts?: { flushMs?: number }): Promise<void>;
}

export type { ClientStats, DirectoryOptions, FailoverOptions, ReplyLimits, RequestOptions, SendResult, TrafficOptions };

const SWEEP_MS = 1_000;
const LOOP_LOST_MS = 60_000;

export async function createClient(opts: ClientOptions): Promise<MixnetClient> {
  const traffic = resolveTraffic(opts.traffic);
  const replyLimits = resolveReplyLimits(opts.replies, traffic.maxMessageSize);
  const backend = getBackend(opts.crypto);
  const eventListeners = new Set<(e: ClientEvent) => void>();
  const emitEvent = (e: ClientEvent) => {
    for (const cb of [opts.onEvent, ...eventListeners]) {
      try {
        cb?.(e);
      } catch {
        // A listener's error is its own.
      }
    }
  };
  let subscribed = false;
  const feed = await createTopologySource({
    ...(opts.directory ? { directory: opts.directory } : {}),
    ...(opts.topology !== undefined ? { topology: opts.topology } : {}),
    ...(opts.refresh ? { refresh: opts.refresh } : {}),
    // The start's events; later ones come through the subscription below (each event once).
    onEvent: (e) => {
      if (!subscribed) emitEvent(e);
    },
  });
  const planner = createLivePlanner(feed.topology, standbyGateways(feed.document));
  // A recipient's gateway the directory left out for a while is still addressable (topology.ts).
  const knownGateway = (id: string) => planner.knownGateway(id) !== undefined;
  const failover: FailoverOptions | false =
    opts.failover === false || (opts.failover === undefined && feed.kind === 'static')
      ? false
      : { ...DEFAULT_FAILOVER, ...(typeof opts.failover === 'object' ? opts.failover : {}) };
  const preferred = opts.gateway ? feed.topology.gateways.find((g) => g.id === opts.gateway) : undefined;
  // A fixed topology must list the gateway asked for; the directory's active set may leave it out.
  if (opts.gateway && !preferred && feed.kind === 'static') planner.gateway(opts.gateway);
  const gateway: TopologyGateway = preferred ?? pick(feed.topology.gateways);
  const identitySecret = opts.identity ?? ed25519.utils.randomSecretKey();
  if (!(identitySecret instanceof Uint8Array) || identitySecret.length !== 32)
    throw new TypeError('identity must be a 32-byte Ed25519 secret key');
  const identity = ed25519.getPublicKey(identitySecret);
  const stats = emptyStats();
  const listeners = new Set<(m: IncomingMessage) => void>();
  const loops = new Map<string, number>();
  const selfName = traceClientName(identity);
  const tracer = opts.trace
    ? createClientTracer({ dir: opts.trace.dir, name: selfName, gateway: gateway.id })
    : undefined;

  // Our gateway is read at each use: it changes when the client moves (the link is made below).
  let link: GatewayLink | undefined;
  // Its entry in the current document, not the one we connected with: its Sphinx key rotates with
  // the epochs, and packets (and SURBs back to us) built with a dropped key fail its MAC check.
  const ourGateway = (): TopologyGateway => {
    const g = link?.gateway ?? gateway;
    const now = planner.topology.gateways.find((x) => x.id === g.id);
    if (now) return now;
    const standby = feed.document?.standby.find((x) => x.id === g.id);
    return standby ? { ...g, sphinxKey: standby.sphinxKey } : g;
  };
  // μ from the directory's document when it publishes one, unless the caller set traffic.mu.
  const explicitMu = opts.traffic?.mu !== undefined;
  const muMs = () => (explicitMu ? traffic.mu : (feed.document?.muMs ?? traffic.mu));
  const base = createCore({
    backend,
    traffic,
    muMs,
    planner,
    get gateway() {
      return ourGateway();
    },
    identity,
    sealKeys: sealKeysFromIdentity(identitySecret),
    stats,
  });

  const shaper = createTrafficShaper({
    sendGapMs: traffic.sendGapMs,
    loopGapMs: traffic.loopGapMs,
    cover: traffic.cover,
    canSend: () => !!link?.connected && link.buffered < 1 << 20,
    transmit: (p) => {
      if (!link?.send(p.firstHop, p.packet)) return false;
      tracer?.emit(p);
      return true;
    },
    dropCover: () => {
      stats.sent.dropCover++;
      const egress = pick(planner.topology.gateways);
      return { ...base.coverPacket(egress, DROP_COVER_DESTINATION, randomBytes(16)), gt: { k: 'drop', d: egress.id } };
    },
    loopCover: () => {
      const id = randomBytes(16);
      loops.set(toHex(id), performance.now());
      stats.sent.loopCover++;
      // Its content looks like data to our gateway (envelope.ts); we know it by its identifier.
      return { ...base.packet(ourGateway(), identity, id, coverContent(backend)), gt: { k: 'loop', d: selfName } };
    },
    onError: () => {
      stats.buildFailures++;
    },
  });
  const core: ClientCore = {
    ...base,
    shaper,
    get gateway() {
      return ourGateway();
    },
    get retransmitAfterMs() {
      return base.retransmitAfterMs;
    },
  };
  const sender = createSender(core, { onProgress: emitEvent, connected: () => !!link?.connected });
  const replies = createReplies(core, sender, replyLimits, emitEvent);
  const gatewayLink = createGatewayLink({
    identitySecret,
    gateway,
    topology: () => planner.topology,
    failover,
    onDeliver: (identifier, payload, frame) => {
      tracer?.deliver(frame);
      onDeliver(identifier, payload);
    },
    onUp: () => shaper.kick(),
    onMove: ({ from, to, reason }) => {
      // Acks and replies would come back to the old gateway: ask for them again via the new one.
      sender.resendUnacked();
      replies.gatewayMoved();
      emitEvent({ type: 'gateway-changed', from, to, reason, address: formatRecipient({ identity, gateway: to }) });
    },
    onMoveFailed: (f) => emitEvent({ type: 'gateway-move-failed', ...f }),
  });
  link = gatewayLink;
  subscribed = true;
  const unsubscribeFeed = feed.onEvent((e) => {
    // Atomic for routes: packets built from now on use the new active set.
    if (e.type === 'topology') {
      planner.set(feed.topology, standbyGateways(feed.document));
      gatewayLink.check();
    }
    emitEvent(e);
  });
  const reassembler = createReassembler({
    capacity: DATA_CAPACITY,
    maxMessageSize: traffic.maxMessageSize + 1024, // room for the request header and its SURBs
    timeoutMs: traffic.reassemblyTimeoutMs,
  });

  const emit = (m: IncomingMessage) => {
    for (const cb of listeners) {
      try {
        cb(m);
      } catch {
        // A listener's error is its own; delivery to the others goes on.
      }
    }
  };

  function onDeliver(identifier: Uint8Array, payload: Uint8Array): void {
    // Acks and loops are known by their identifier alone; their payload is random.
    const id = toHex(identifier);
    if (sender.ack(id)) return;
    if (loops.delete(id)) {
      stats.received.loops++;
      return;
    }
    let message: Uint8Array;
    try {
      message = recoverMessage(payload);
    } catch {
      stats.malformed++;
      return;
    }
    if (replies.onReplyPacket(id, message)) return;
    let opened: ReturnType<typeof openData>;
    try {
      opened = openData(backend, core.sealKeys, message);
    } catch {
      opened = null;
    }
    if (!opened) {
      stats.malformed++;
      return;
    }
    stats.received.data++;
    // Ack first, even for a duplicate: the sender is waiting for it (acks jump the queue).
    const { ackSurb, fragment } = opened;
    if (ackSurb.length > 0)
      shaper.enqueue(
        {
          // A malformed SURB throws here; the shaper drops that packet and counts it.
          build: () => ({ ...ackPacket(backend, ackSurb), gt: { k: 'real', d: '?' } }),
          sent: () => {
            stats.sent.acks++;
          },
        },
        { priority: true },
      );
    const r = reassembler.add(fragment);
    if (r.kind === 'duplicate') stats.duplicates++;
    if (r.kind === 'refused') stats.malformed++;
    if (r.kind !== 'complete') return;
    let m: ReturnType<typeof decodeMessage>;
    try {
      m = decodeMessage(r.message);
    } catch {
      stats.malformed++;
      return;
    }
    if (m.kind === 'data') emit({ data: m.body });
    else {
      const reply = replies.onRequestMessage(m);
      if (m.kind === 'request' && reply) emit({ data: m.body, reply });
    }
  }

  const sweeper = setInterval(() => {
    const now = performance.now();
    reassembler.sweep();
    sender.sweep(now);
    replies.sweep(now);
    for (const [id, at] of loops) {
      if (now - at > LOOP_LOST_MS) {
        loops.delete(id);
        stats.loopsLost++;
      }
    }
  }, SWEEP_MS);
  unref(sweeper);

  try {
    await gatewayLink.ready;
  } catch (err) {
    shaper.stop();
    clearInterval(sweeper);
    unsubscribeFeed();
    feed.close();
    await gatewayLink.close();
    throw err;
  }

  return {
    get address() {
      return formatRecipient({ identity, gateway: gatewayLink.gateway.id } satisfies Recipient);
    },
    identity,
    get topology() {
      return planner.topology;
    },
    get connected() {
      return gatewayLink.connected;
    },
    onEvent(cb) {
      eventListeners.add(cb);
      return () => eventListeners.delete(cb);
    },
    topologyStatus: () => ({
      source: feed.kind,
      epoch: feed.epoch,
      reachable: feed.reachable,
      stale: feed.stale,
      directory: feed.stats(),
      muMs: muMs(),
    }),
    async send(to, bytes) {
      if (bytes.length > traffic.maxMessageSize) throw new MessageTooLargeError(bytes.length, traffic.maxMessageSize);
      return sender.send(
        parseRecipient(to, planner.topology, knownGateway),
        encodeMessage({ kind: 'data', body: bytes }),
      );
    },
    onMessage(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    async request(to, bytes, o) {
      if (bytes.length > traffic.maxMessageSize) throw new MessageTooLargeError(bytes.length, traffic.maxMessageSize);
      return replies.request(parseRecipient(to, planner.topology, knownGateway), bytes, o);
    },
    stats: () => ({ ...structuredClone(stats), retainedBytes: replyLimits.budget.used }),
    async close({ flushMs = 2_000 } = {}) {
      const deadline = performance.now() + flushMs;
      while (shaper.queued > 0 && gatewayLink.connected && performance.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      shaper.stop();
      clearInterval(sweeper);
      unsubscribeFeed();
      feed.close();
      await tracer?.close();
      const err = new Error('client closed');
      sender.abort(err);
      replies.abort(err);
      await gatewayLink.close();
    },
  };
}
