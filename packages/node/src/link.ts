/**
 * The outbound side of node ↔ node TCP (ARCHITECTURE.md, "Wire between processes"): one long-lived
 * connection per next hop, opened on first use and reopened with exponential backoff; a bounded
 * FIFO queue while the hop is down or slow; backpressure from `write()`/'drain'; writes batched
 * with cork/uncork once per tick; and user-space link faults (faults.ts: latency, jitter, loss,
 * corruption, bandwidth cap, partition) because the kernel here has no netem. `createLinkPool` keeps
 * one such link per host:port.
 */
import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeFrame, FRAME_HEADER_SIZE, FrameKind } from '@mixnet/sphinx/wire';
import {
  corruptPacket,
  createFaultTable,
  createTokenBucket,
  type FaultRule,
  type FaultTable,
  type LinkEffect,
  NO_EFFECT,
  type TokenBucket,
} from './faults.js';
import { createFifo } from './link-fifo.js';

export const DEFAULT_MAX_QUEUE = 10_000;
/** Bytes queued across all links of a pool (or one link alone); issue 14 #2. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** A frame queued longer than this is dropped as expired, not sent. */
export const DEFAULT_MAX_QUEUE_AGE_MS = 30_000;
export const DEFAULT_BACKOFF: Readonly<Required<Backoff>> = { initialMs: 50, maxMs: 5_000, factor: 2, jitter: 0.2 };
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Queued ready-made frames that may stay views into their batch (link.send); past it they are copied. */
const MAX_PINNING_FRAMES = 64;
/** How long close() lets the socket flush its last bytes before destroying it. */
const CLOSE_GRACE_MS = 1_000;
/** TCP keep-alive, so a hop that vanished without a FIN is noticed while idle. */
const KEEPALIVE_MS = 30_000;
/** Length prefix and kind byte of a packet frame. */
const FRAME_OVERHEAD = FRAME_HEADER_SIZE + 1;

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** default 2 */
  factor?: number;
  /** relative, each delay is scaled by a uniform factor in [1 − jitter, 1 + jitter]; default 0.2 */
  jitter?: number;
}

/** Static emulation (the config's links.emulation): the first rule of the link's fault table. */
export interface LinkEmulation {
  latencyMs?: number;
  jitterMs?: number;
  /** 0..1 */
  lossRate?: number;
  /** for seeded experiments; default Math.random */
  random?: () => number;
}

/** The fault rule that static emulation stands for (outbound, every link). */
export function emulationRule(e: LinkEmulation): FaultRule {
  return {
    id: 'emulation',
    direction: 'out',
    ...(e.latencyMs ? { latencyMs: e.latencyMs } : {}),
    ...(e.jitterMs ? { jitterMs: e.jitterMs } : {}),
    ...(e.lossRate ? { lossRate: e.lossRate } : {}),
  };
}

export type DropReason =
  | 'queue_full'
  | 'queue_bytes'
  | 'expired'
  | 'fault_loss'
  | 'fault_partition'
  | 'closed'
  | 'departed';

/** A bandwidth cap lets this long a burst through at full speed. */
const BANDWIDTH_BURST_MS = 20;

/** A byte budget that several links share: frames count from queueing until handed to the socket. */
export interface QueueBudget {
  bytes: number;
  readonly max: number;
}
export type LinkState = 'connecting' | 'connected' | 'down';

export interface LinkOptions {
  host: string;
  port: number;
  /**
   * packets waiting while the hop is down or slow (including those held by emulated latency);
   * beyond it new packets are dropped and counted. Default 10_000.
   */
  maxQueue?: number;
  /** shared by a pool's links; default a budget of its own of DEFAULT_MAX_QUEUED_BYTES */
  budget?: QueueBudget;
  /** queued longer than this: dropped as 'expired' (default 30 s) */
  maxQueueAgeMs?: number;
  /** default { initialMs: 50, maxMs: 5_000 } */
  backoff?: Backoff;
  /** shorthand for `faults` with one base rule (emulationRule); ignored when `faults` is given */
  emulation?: LinkEmulation;
  /** live fault rules (shared by a pool's links); matched by `peer` */
  faults?: FaultTable;
  /** the hop's node id, for fault rules naming peers (may be unknown until membership has it) */
  peer?: () => string | undefined;
  /** for seeded experiments (loss, jitter, corruption); default emulation.random, else Math.random */
  random?: () => number;
  /** `count` is the number of packets dropped by this event (1, or the whole queue at close) */
  onDrop?: (reason: DropReason, count: number) => void;
  onStateChange?: (state: LinkState) => void;
  /** default 5 s */
  connectTimeoutMs?: number;
  /** Our node id, sent in a Hello frame first on every connection (trace mode names hops by it). */
  hello?: string;
}

export interface Link {
  /** `frame`: the packet already framed (FrameKind.Packet) by whoever built it, to skip a copy. */
  send(packet: Uint8Array, frame?: Uint8Array): void;
  /** packets not yet handed to the socket (held by emulation or waiting in the queue) */
  readonly queued: number;
  /** drops queued frames older than maxQueueAgeMs (also done as frames are written) */
  expire(): void;
  readonly connected: boolean;
  /** packets dropped so far, by reason */
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** resolves once everything queued has been written and flushed, or rejects after timeoutMs (used at shutdown) */
  flush(timeoutMs: number): Promise<void>;
  /** drops what is still queued (counted as `reason`, default 'closed'); after close, send() drops with 'closed' */
  close(reason?: 'closed' | 'departed'): Promise<void>;
}

interface Held {
  due: number;
  /** when it was queued (performance.now), for expiry */
  at: number;
  frame: Uint8Array;
}

interface FlushWaiter {
  done(): void;
  fail(err: Error): void;
}

export function createLink(opts: LinkOptions): Link {
  const name = `${opts.host}:${opts.port}`;
  const maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE;
  const budget: QueueBudget = opts.budget ?? { bytes: 0, max: DEFAULT_MAX_QUEUED_BYTES };
  const maxAgeMs = opts.maxQueueAgeMs ?? DEFAULT_MAX_QUEUE_AGE_MS;
  const backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const random = opts.random ?? opts.emulation?.random ?? Math.random;
  const faults =
    opts.faults ?? (opts.emulation ? createFaultTable({ base: [emulationRule(opts.emulation)] }) : undefined);
  // The effect of the fault rules on this link, recomputed when the table changes.
  let effect: LinkEffect = NO_EFFECT;
  let effectVersion = -1;
  let effectPeer: string | undefined;
  let bucket: TokenBucket | undefined;

  // Emulated latency: packets wait here, sorted by due time (dues never decrease), behind one timer.
  const held = createFifo<Held>();
  let heldTimer: NodeJS.Timeout | undefined;
  let lastDue = 0;
  // Frames ready to go out, waiting for a connected, writable socket, and when each was queued.
  const queue = createFifo<Uint8Array>();
  const queuedAt = createFifo<number>();

  let state: LinkState | 'idle' | 'closed' = 'idle';
  let socket: Socket | undefined;
  let blocked = false; // write() returned false; wait for 'drain'
  let corked = false;
  let failures = 0;
  let nextAttemptAt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  const dropped: Record<DropReason, number> = {
    queue_full: 0,
    queue_bytes: 0,
    expired: 0,
    fault_loss: 0,
    fault_partition: 0,
    closed: 0,
    departed: 0,
  };
  const flushWaiters = new Set<FlushWaiter>();

  function drop(reason: DropReason, count: number): void {
    if (count <= 0) return;
    dropped[reason] += count;
    opts.onDrop?.(reason, count);
  }

  function setState(next: LinkState): void {
    if (state === next) return;
    state = next;
    opts.onStateChange?.(next);
  }

  // The peer's id is asked again only while membership does not know it yet.
  function currentEffect(table: FaultTable): LinkEffect {
    const peer = effectPeer ?? opts.peer?.();
    if (effectVersion !== table.version || peer !== effectPeer) {
      effect = table.effect(peer, 'out');
      effectVersion = table.version;
      effectPeer = peer;
    }
    return effect;
  }

  /** Bandwidth cap, then latency ± jitter: how long a frame waits before it is written. */
  function delayOf(e: LinkEffect, bytes: number, at: number): number {
    let wait = 0;
    if (Number.isFinite(e.bandwidthBps)) {
      if (bucket?.rate !== e.bandwidthBps)
        bucket = createTokenBucket(e.bandwidthBps, (e.bandwidthBps * BANDWIDTH_BURST_MS) / 1000, at);
      wait = bucket.take(bytes, at);
    }
    return Math.max(0, wait + e.latencyMs + (random() * 2 - 1) * e.jitterMs);
  }

  function hold(frame: Uint8Array, at: number, delay: number): void {
    // Never let a short delay overtake a long one: links keep order, jitter or not.
    const due = Math.max(lastDue, at + delay);
    lastDue = due;
    held.push({ due, at, frame });
    if (heldTimer === undefined) armHeldTimer();
  }

  function armHeldTimer(): void {
    const head = held.peek();
    if (head === undefined) return;
    // libuv timers count whole milliseconds from a cached loop time, so they can fire a little early;
    // releaseHeld then re-arms for the rest (a packet is never released before its due time).
    heldTimer = setTimeout(releaseHeld, Math.max(0, Math.ceil(head.due - performance.now())));
  }

  function releaseHeld(): void {
    heldTimer = undefined;
    const now = performance.now();
    for (let head = held.peek(); head !== undefined && head.due <= now; head = held.peek()) {
      held.shift();
      queue.push(head.frame);
      queuedAt.push(head.at);
    }
    pump();
    armHeldTimer();
  }

  /** Write every queued frame the socket takes, corked until the next tick so they leave together. */
  function pump(): void {
    const s = socket;
    if (state !== 'connected' || s === undefined || blocked || queue.length === 0) {
      checkFlush();
      return;
    }
    if (!corked) {
      corked = true;
      s.cork();
      process.nextTick(() => {
        corked = false;
        s.uncork();
      });
    }
    // Queue times never decrease, so what expired is a prefix: drop it, write the rest.
    if ((queuedAt.peek() as number) < performance.now() - maxAgeMs) expire();
    for (let frame = queue.shift(); frame !== undefined; frame = queue.shift()) {
      queuedAt.shift();
      budget.bytes -= frame.length;
      // Only the batch's last write needs a callback: when it runs, everything before it is out too.
      const ok = queue.length === 0 ? s.write(frame, checkFlush) : s.write(frame);
      if (!ok) {
        blocked = true;
        break;
      }
    }
  }

  function backoffDelay(attempt: number): number {
    const base = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.min(attempt, 64));
    return Math.max(0, base * (1 + backoff.jitter * (2 * Math.random() - 1)));
  }

  function ensureConnecting(): void {
    if (state === 'connecting' || state === 'connected' || state === 'closed' || retryTimer !== undefined) return;
    const wait = nextAttemptAt - performance.now();
    if (wait <= 0) connect();
    else retryTimer = setTimeout(connect, wait);
  }

  function connect(): void {
    retryTimer = undefined;
    if (state === 'closed') return;
    const s = createConnection({ host: opts.host, port: opts.port });
    socket = s;
    blocked = false;
    setState('connecting');
    const connectTimer = setTimeout(() => s.destroy(new Error(`connect to ${name} timed out`)), connectTimeoutMs);
    s.setNoDelay(true);
    s.once('connect', () => {
      clearTimeout(connectTimer);
      if (socket !== s || state === 'closed') return;
      failures = 0;
      s.setKeepAlive(true, KEEPALIVE_MS);
      setState('connected');
      if (opts.hello) s.write(encodeFrame(FrameKind.Hello, new TextEncoder().encode(opts.hello)));
      pump();
    });
    s.on('drain', () => {
      if (socket !== s) return;
      blocked = false;
      pump();
    });
    // Refused, reset, timed out: all end in 'close', where the retry is scheduled.
    s.on('error', () => {});
    s.on('close', () => {
      clearTimeout(connectTimer);
      if (socket !== s) return;
      socket = undefined;
      blocked = false;
      if (state === 'closed') return;
      nextAttemptAt = performance.now() + backoffDelay(failures);
      failures += 1;
      setState('down');
      expire();
      checkFlush();
      if (held.length > 0 || queue.length > 0) ensureConnecting();
    });
    // The hop never talks back; reading (and discarding) is how its FIN is noticed while idle.
    s.resume();
  }

  /** Drops frames queued longer than maxAgeMs: the oldest are first, so only a prefix goes. */
  function expire(): void {
    const before = performance.now() - maxAgeMs;
    let n = 0;
    for (let at = queuedAt.peek(); at !== undefined && at < before; at = queuedAt.peek()) {
      queuedAt.shift();
      budget.bytes -= (queue.shift() as Uint8Array).length;
      n++;
    }
    for (let head = held.peek(); head !== undefined && head.at < before; head = held.peek()) {
      held.shift();
      budget.bytes -= head.frame.length;
      n++;
    }
    drop('expired', n);
    checkFlush();
  }

  /** Drops everything queued or held, counted as `reason`. */
  function dropAll(reason: DropReason): void {
    let bytes = 0;
    const n = queue.length + held.length;
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) bytes += f.length;
    for (let h = held.shift(); h !== undefined; h = held.shift()) bytes += h.frame.length;
    queuedAt.clear();
    budget.bytes -= bytes;
    drop(reason, n);
  }

  function isFlushed(): boolean {
    return held.length === 0 && queue.length === 0 && (socket === undefined || socket.writableLength === 0);
  }

  function checkFlush(): void {
    if (flushWaiters.size === 0 || !isFlushed()) return;
    for (const w of flushWaiters) w.done();
    flushWaiters.clear();
  }

  return {
    send(packet, framed) {
      if (state === 'closed') return drop('closed', 1);
      // The one check a node without fault rules makes.
      const e = faults?.active ? currentEffect(faults) : NO_EFFECT;
      if (e !== NO_EFFECT) {
        if (e.partition) return drop('fault_partition', 1);
        if (e.lossRate > 0 && random() < e.lossRate) return drop('fault_loss', 1);
      }
      if (held.length + queue.length >= maxQueue) return drop('queue_full', 1);
      if (budget.bytes + (framed?.length ?? packet.length + FRAME_OVERHEAD) > budget.max) return drop('queue_bytes', 1);
      // Packets still held (rules just cleared) keep their place: nothing overtakes them.
      const delayed = e.delayed || held.length > 0;
      // A ready-made frame is a view into a worker's whole outcome batch. Going out now or soon it
      // costs nothing; one that may wait long (hop down, emulated latency, a long queue) is copied
      // so that a backlog cannot keep thousands of batches alive.
      const soon = !delayed && state === 'connected' && queue.length < MAX_PINNING_FRAMES;
      let frame = framed ? (soon ? framed : framed.slice()) : encodeFrame(FrameKind.Packet, packet);
      if (e.corruptRate > 0 && random() < e.corruptRate) {
        if (frame === framed) frame = framed.slice();
        corruptPacket(frame.subarray(FRAME_OVERHEAD), random);
      }
      budget.bytes += frame.length;
      const at = performance.now();
      if (delayed) hold(frame, at, e.delayed ? delayOf(e, frame.length, at) : 0);
      else {
        queue.push(frame);
        queuedAt.push(at);
        pump();
      }
      ensureConnecting();
    },

    get queued() {
      return held.length + queue.length;
    },

    get connected() {
      return state === 'connected';
    },

    expire,

    get dropped() {
      return { ...dropped };
    },

    flush(timeoutMs) {
      if (state === 'closed' || isFlushed()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          flushWaiters.delete(waiter);
          reject(
            new Error(`flush of link ${name} timed out after ${timeoutMs} ms, ${held.length + queue.length} queued`),
          );
        }, timeoutMs);
        const waiter: FlushWaiter = {
          done: () => {
            clearTimeout(timer);
            resolve();
          },
          fail: (err) => {
            clearTimeout(timer);
            reject(err);
          },
        };
        flushWaiters.add(waiter);
      });
    },

    close(reason = 'closed') {
      if (closing !== undefined) return closing;
      state = 'closed';
      clearTimeout(heldTimer);
      clearTimeout(retryTimer);
      dropAll(reason);
      for (const w of flushWaiters) w.fail(new Error(`link ${name} closed`));
      flushWaiters.clear();
      const s = socket;
      closing = new Promise<void>((resolve) => {
        if (s === undefined || s.destroyed) return resolve();
        // Let bytes already handed to the socket leave, but not forever (a peer may not read).
        const grace = setTimeout(() => s.destroy(), CLOSE_GRACE_MS);
        s.once('close', () => {
          clearTimeout(grace);
          resolve();
        });
        if (s.connecting) s.destroy();
        else s.end();
      });
      return closing;
    },
  };
}

export interface LinkPool {
  send(to: { host: string; port: number }, packet: Uint8Array, frame?: Uint8Array): void;
  /** flushes every link; rejects (after all have settled) if any did not flush in time */
  flush(timeoutMs: number): Promise<void>;
  /** closes the links to hops that left the network; what they queued is dropped as 'departed' */
  closeLinks(hops: readonly { host: string; port: number }[]): Promise<void>;
  close(): Promise<void>;
  readonly links: number;
  readonly queued: number;
  /** bytes queued across all links (bounded by maxQueuedBytes) */
  readonly queuedBytes: number;
}

export type LinkPoolOptions = Omit<LinkOptions, 'host' | 'port' | 'budget' | 'peer'> & {
  /** bytes queued across all links; default DEFAULT_MAX_QUEUED_BYTES */
  maxQueuedBytes?: number;
  /** the node id at host:port (membership), for fault rules naming peers */
  peerOf?: (host: string, port: number) => string | undefined;
};

/** One Link per host:port, created on first use and kept until its hop departs or the pool closes. */
export function createLinkPool(opts: LinkPoolOptions): LinkPool {
  const links = new Map<string, Link>();
  const { maxQueuedBytes, peerOf, ...linkOpts } = opts;
  // One table for all links, so an emulation shorthand is not one table per link.
  if (linkOpts.faults === undefined && linkOpts.emulation)
    linkOpts.faults = createFaultTable({ base: [emulationRule(linkOpts.emulation)] });
  const budget: QueueBudget = { bytes: 0, max: maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES };
  let closed = false;
  // Expiry of frames queued for hops that are down (a live link expires as it writes).
  const maxAgeMs = opts.maxQueueAgeMs ?? DEFAULT_MAX_QUEUE_AGE_MS;
  const sweeper = setInterval(
    () => {
      if (budget.bytes > 0) for (const l of links.values()) l.expire();
    },
    Math.max(10, Math.min(1_000, maxAgeMs / 4)),
  );
  sweeper.unref();
  const keyOf = (to: { host: string; port: number }) => `${to.host}|${to.port}`;

  return {
    send(to, packet, frame) {
      if (closed) {
        opts.onDrop?.('closed', 1);
        return;
      }
      const key = keyOf(to);
      let link = links.get(key);
      if (link === undefined) {
        const { host, port } = to;
        link = createLink({
          ...linkOpts,
          budget,
          host,
          port,
          ...(peerOf ? { peer: () => peerOf(host, port) } : {}),
        });
        links.set(key, link);
      }
      link.send(packet, frame);
    },

    async flush(timeoutMs) {
      const results = await Promise.allSettled([...links.values()].map((l) => l.flush(timeoutMs)));
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed > 0) throw new Error(`flush timed out on ${failed} of ${links.size} links`);
    },

    async closeLinks(hops) {
      const closing: Promise<void>[] = [];
      for (const hop of hops) {
        const key = keyOf(hop);
        const link = links.get(key);
        if (link === undefined) continue;
        links.delete(key);
        closing.push(link.close('departed'));
      }
      await Promise.all(closing);
    },

    async close() {
      closed = true;
      clearInterval(sweeper);
      await Promise.all([...links.values()].map((l) => l.close()));
    },

    get links() {
      return links.size;
    },

    get queued() {
      let n = 0;
      for (const l of links.values()) n += l.queued;
      return n;
    },

    get queuedBytes() {
      return budget.bytes;
    },
  };
}
