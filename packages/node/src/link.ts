/**
 * The outbound side of node ↔ node TCP (ARCHITECTURE.md, "Wire between processes"): one long-lived
 * connection per next hop, opened on first use and reopened with exponential backoff; a bounded
 * FIFO queue while the hop is down or slow; backpressure from `write()`/'drain'; writes batched
 * with cork/uncork once per tick; and user-space link emulation (latency, jitter, loss) because the
 * kernel here has no netem. `createLinkPool` keeps one such link per host:port.
 */
import { createConnection, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { encodeFrame, FrameKind } from '@mixnet/sphinx/wire';
import { createFifo } from './link-fifo.js';

export const DEFAULT_MAX_QUEUE = 10_000;
export const DEFAULT_BACKOFF: Readonly<Required<Backoff>> = { initialMs: 50, maxMs: 5_000, factor: 2, jitter: 0.2 };
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/** Queued ready-made frames that may stay views into their batch (link.send); past it they are copied. */
const MAX_PINNING_FRAMES = 64;
/** How long close() lets the socket flush its last bytes before destroying it. */
const CLOSE_GRACE_MS = 1_000;
/** TCP keep-alive, so a hop that vanished without a FIN is noticed while idle. */
const KEEPALIVE_MS = 30_000;

export interface Backoff {
  initialMs: number;
  maxMs: number;
  /** default 2 */
  factor?: number;
  /** relative, each delay is scaled by a uniform factor in [1 − jitter, 1 + jitter]; default 0.2 */
  jitter?: number;
}

export interface LinkEmulation {
  latencyMs?: number;
  jitterMs?: number;
  /** 0..1 */
  lossRate?: number;
  /** for seeded experiments; default Math.random */
  random?: () => number;
}

export type DropReason = 'queue_full' | 'emulated_loss' | 'closed';
export type LinkState = 'connecting' | 'connected' | 'down';

export interface LinkOptions {
  host: string;
  port: number;
  /**
   * packets waiting while the hop is down or slow (including those held by emulated latency);
   * beyond it new packets are dropped and counted. Default 10_000.
   */
  maxQueue?: number;
  /** default { initialMs: 50, maxMs: 5_000 } */
  backoff?: Backoff;
  emulation?: LinkEmulation;
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
  readonly connected: boolean;
  /** packets dropped so far, by reason */
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** resolves once everything queued has been written and flushed, or rejects after timeoutMs (used at shutdown) */
  flush(timeoutMs: number): Promise<void>;
  /** drops what is still queued (counted as 'closed'); after close, send() drops with 'closed' */
  close(): Promise<void>;
}

interface Held {
  due: number;
  frame: Uint8Array;
}

interface FlushWaiter {
  done(): void;
  fail(err: Error): void;
}

export function createLink(opts: LinkOptions): Link {
  const name = `${opts.host}:${opts.port}`;
  const maxQueue = opts.maxQueue ?? DEFAULT_MAX_QUEUE;
  const backoff = { ...DEFAULT_BACKOFF, ...opts.backoff };
  const connectTimeoutMs = opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const random = opts.emulation?.random ?? Math.random;
  const latencyMs = opts.emulation?.latencyMs ?? 0;
  const jitterMs = opts.emulation?.jitterMs ?? 0;
  const lossRate = opts.emulation?.lossRate ?? 0;
  const delayed = latencyMs > 0 || jitterMs > 0;

  // Emulated latency: packets wait here, sorted by due time (dues never decrease), behind one timer.
  const held = createFifo<Held>();
  let heldTimer: NodeJS.Timeout | undefined;
  let lastDue = 0;
  // Frames ready to go out, waiting for a connected, writable socket.
  const queue = createFifo<Uint8Array>();

  let state: LinkState | 'idle' | 'closed' = 'idle';
  let socket: Socket | undefined;
  let blocked = false; // write() returned false; wait for 'drain'
  let corked = false;
  let failures = 0;
  let nextAttemptAt = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let closing: Promise<void> | undefined;
  const dropped: Record<DropReason, number> = { queue_full: 0, emulated_loss: 0, closed: 0 };
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

  function hold(frame: Uint8Array): void {
    const delay = Math.max(0, latencyMs + (random() * 2 - 1) * jitterMs);
    // Never let a short delay overtake a long one: links keep order, jitter or not.
    const due = Math.max(lastDue, performance.now() + delay);
    lastDue = due;
    held.push({ due, frame });
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
    for (let frame = queue.shift(); frame !== undefined; frame = queue.shift()) {
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
      checkFlush();
      if (held.length > 0 || queue.length > 0) ensureConnecting();
    });
    // The hop never talks back; reading (and discarding) is how its FIN is noticed while idle.
    s.resume();
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
      if (lossRate > 0 && random() < lossRate) return drop('emulated_loss', 1);
      if (held.length + queue.length >= maxQueue) return drop('queue_full', 1);
      // A ready-made frame is a view into a worker's whole outcome batch. Going out now or soon it
      // costs nothing; one that may wait long (hop down, emulated latency, a long queue) is copied
      // so that a backlog cannot keep thousands of batches alive.
      const soon = !delayed && state === 'connected' && queue.length < MAX_PINNING_FRAMES;
      const frame = framed ? (soon ? framed : framed.slice()) : encodeFrame(FrameKind.Packet, packet);
      if (delayed) hold(frame);
      else {
        queue.push(frame);
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

    close() {
      if (closing !== undefined) return closing;
      state = 'closed';
      clearTimeout(heldTimer);
      clearTimeout(retryTimer);
      drop('closed', held.length + queue.length);
      held.clear();
      queue.clear();
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
  close(): Promise<void>;
  readonly links: number;
  readonly queued: number;
}

export type LinkPoolOptions = Omit<LinkOptions, 'host' | 'port'>;

/** One Link per host:port, created on first use and kept until close (topologies are small). */
export function createLinkPool(opts: LinkPoolOptions): LinkPool {
  const links = new Map<string, Link>();
  let closed = false;

  return {
    send(to, packet, frame) {
      if (closed) {
        opts.onDrop?.('closed', 1);
        return;
      }
      const key = `${to.host}|${to.port}`;
      let link = links.get(key);
      if (link === undefined) {
        link = createLink({ ...opts, host: to.host, port: to.port });
        links.set(key, link);
      }
      link.send(packet, frame);
    },

    async flush(timeoutMs) {
      const results = await Promise.allSettled([...links.values()].map((l) => l.flush(timeoutMs)));
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed > 0) throw new Error(`flush timed out on ${failed} of ${links.size} links`);
    },

    async close() {
      closed = true;
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
  };
}
